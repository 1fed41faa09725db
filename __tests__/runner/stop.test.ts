import { afterEach, describe, expect, it, vi } from 'vitest'
import { holdStops, releaseStops } from '../../src/runner/early-stop.js'
import { onStop, type SignalSource, type StopSignal } from '../../src/runner/stop.js'

/** A stand-in for the process's signals: `send` delivers one as the kernel would, to the listeners `once` took. */
function fakeSignals() {
  const listeners = new Map<StopSignal, (() => void)[]>()
  const exit = vi.fn()
  const source: SignalSource = {
    once: (signal, listener) => listeners.set(signal, [...(listeners.get(signal) ?? []), listener]),
    removeListener: (signal, listener) =>
      listeners.set(
        signal,
        (listeners.get(signal) ?? []).filter((each) => each !== listener)
      ),
    exit: exit as unknown as SignalSource['exit']
  }
  const send = (signal: StopSignal): void => {
    const taken = listeners.get(signal) ?? []
    listeners.set(signal, [])
    for (const listener of taken) listener()
  }
  return { source, send, exit }
}

afterEach(() => {
  releaseStops()
})

describe('a stop that comes while the code loads', () => {
  it('is held by the entry file, keeps the process alive, and reaches the handler with its own time', async () => {
    holdStops()
    const before = process.listenerCount('SIGTERM')
    process.emit('SIGTERM')
    process.emit('SIGINT')
    const handle = vi.fn<(signal: StopSignal, at: number) => Promise<void>>(() => Promise.resolve())
    const { source, exit } = fakeSignals()
    const now = Date.now()
    onStop(handle, source)
    expect(handle).toHaveBeenCalledTimes(1)
    const [signal, at] = handle.mock.calls[0]!
    expect(signal).toBe('SIGTERM')
    expect(at).toBeLessThanOrEqual(now)
    await vi.waitFor(() => expect(exit).toHaveBeenCalled())
    // Once the handler listens, the entry file's hold is gone.
    expect(process.listenerCount('SIGTERM')).toBe(before - 1)
  })

  it('leaves the handler to the first signal of its own when none came while loading', () => {
    holdStops()
    const handle = vi.fn<(signal: StopSignal, at: number) => Promise<void>>(() => Promise.resolve())
    const { source, send } = fakeSignals()
    onStop(handle, source)
    expect(handle).not.toHaveBeenCalled()
    send('SIGINT')
    send('SIGINT')
    expect(handle).toHaveBeenCalledTimes(1)
    expect(handle.mock.calls[0]![0]).toBe('SIGINT')
  })
})
