/**
 * How the sweep watches runs within GitHub's rate limit: one list of each
 * repository's dispatched runs, asked with the ETags of the last answers,
 * instead of one read per run. A list that did not change costs nothing
 * (GitHub answers 304), and a run is looked at by itself only when its
 * list shows it has something for the bridge to act on.
 *
 * While webhook deliveries arrive, they tell of ended runs within
 * seconds, and the lists are only the safety net: they are read every five
 * minutes. Once the sweep finds a run that ended without a delivery acting
 * on it, or none is configured, they are read at every sweep.
 */
import { CredentialsError } from './github-credentials.js'
import type { WorkflowRun } from './github.js'
import { GitHubError } from './github-request.js'
import { judgeRun, rerunOfHeldRun, type BridgeRecord, type RunningRecord, type Timing } from './record.js'
import type { Session } from './session.js'
import type { PushHealth } from './state-store.js'

/** How often a repository's runs are listed, with deliveries to count on and without. */
export const LIST_EVERY_MS = { pushed: 5 * 60_000, unpushed: 60_000 } as const
/** A run that ended this long ago with its job still open was told of by no delivery. */
const DELIVERY_GRACE_MS = 60_000
/** The list reaches back this far before a run's dispatch: GitHub's clock and Lambda's may differ a little. */
const CLOCK_SKEW_MS = 60_000
/**
 * Lists reach back at most this far. A run older than that (one waiting
 * hours for an approval) is read by itself every two minutes, so that it
 * does not make every minute's list of a busy repository many pages long.
 */
const LIST_WINDOW_MS = 2 * 3600_000
/** Lists start only while this much of the invocation is left, for the steps of the records themselves. */
const WATCH_LEAVES_MS = 30_000

type WatchedRecord = RunningRecord & { readonly runId: number }

/** What one container remembers between sweeps: when it last listed each repository. */
export class RunWatch {
  private readonly listedAt = new Map<string, number>()

  /** `pushConfigured`: whether the credentials name a webhook secret, so that deliveries may arrive. */
  constructor(readonly pushConfigured: () => Promise<boolean>) {}

  due(repository: string, everyMs: number, now: number): boolean {
    // A sweep comes every minute, give or take a few seconds.
    return now - (this.listedAt.get(repository) ?? Number.NEGATIVE_INFINITY) > everyMs - 10_000
  }

  listed(repository: string, now: number): void {
    this.listedAt.set(repository, now)
  }
}

/** Whether deliveries can be counted on: one has arrived, and no run ended unannounced since. Pure. */
export function pushTrusted(health: PushHealth): boolean {
  return health.deliveredAt !== undefined && health.deliveredAt > (health.missedAt ?? 0)
}

/** The records whose runs the sweep watches, by repository, with how far back each list must reach. Pure. */
export function runsByRepository(
  records: readonly BridgeRecord[],
  now: number
): { owner: string; repo: string; since: number; records: WatchedRecord[] }[] {
  const groups = new Map<string, { owner: string; repo: string; since: number; records: WatchedRecord[] }>()
  for (const record of records) {
    if (record.phase !== 'running' || record.runId === undefined || record.stopped) continue
    if (record.dispatchedAt < now - LIST_WINDOW_MS) continue
    const { owner, repo } = record.target
    const key = `${owner}/${repo}`.toLowerCase()
    const group = groups.get(key) ?? { owner, repo, since: Number.POSITIVE_INFINITY, records: [] }
    group.since = Math.min(group.since, record.dispatchedAt - CLOCK_SKEW_MS)
    group.records.push({ ...record, runId: record.runId })
    groups.set(key, group)
  }
  return [...groups.values()]
}

/**
 * Whether the run, as its list shows it, has something for the bridge to
 * do: its first look, a run that ended or waited too long for a runner, a
 * re-run of a run the bridge holds, or failures to forget. Pure.
 */
export function lookNeeded(record: WatchedRecord, run: WorkflowRun, now: number, timing: Timing): boolean {
  if (!record.runNameChecked || record.runFacts === undefined || readsFailing(record)) return true
  return rerunOfHeldRun(record, run) || judgeRun(run, now, timing).kind !== 'watch'
}

/** Whether the last reads of the record's run failed: it is read by itself, on its backoff, until one works. */
function readsFailing(record: WatchedRecord): boolean {
  // A new job's record starts its count at nought.
  return (record.attempts ?? 0) > 0
}

/** Whether a run that ended with its job still open shows that deliveries are not arriving. Pure. */
export function deliveryMissed(run: WorkflowRun, now: number): boolean {
  const endedAt = Date.parse(run.updated_at ?? '')
  return run.status === 'completed' && now - endedAt > DELIVERY_GRACE_MS
}

/**
 * Lists the runs of every repository whose list is due, and keeps on the
 * session the runs to look at now. The keys of the records left for a
 * later sweep, or whose runs were listed, come back: none of them is read
 * by itself. A run the list does not show (deleted, or its list failed)
 * is read by itself, as before lists, and so is one whose reads have
 * been failing, on its own backoff.
 */
export async function watchRuns(session: Session, records: readonly BridgeRecord[]): Promise<Set<string>> {
  const covered = new Set<string>()
  const { watch, github, store, settings } = session.parts
  const groups = runsByRepository(records, session.now)
  if (watch === undefined || groups.length === 0) return covered
  // Deliveries are counted on only while the secret and the health item say so: a failure to read either lists every minute.
  const configured = await watch.pushConfigured().catch(() => false)
  const trusted = configured && pushTrusted(await store.pushHealth().catch(() => ({})))
  const every = trusted ? LIST_EVERY_MS.pushed : LIST_EVERY_MS.unpushed
  let missed = 0
  await Promise.all(
    groups.map(async ({ owner, repo, since, records: watched }) => {
      const repository = `${owner}/${repo}`
      const now = session.now
      // Not due, the rate limit is kept for dispatches, or the sweep's time for the records' own steps: a later sweep lists.
      if (
        !watch.due(repository.toLowerCase(), every, now) ||
        !github.mayWatch(owner) ||
        !session.hasTime(WATCH_LEAVES_MS)
      ) {
        // A run that could not be read is read by itself, backing off, until a read or a list gets it.
        for (const record of watched) if (!readsFailing(record)) covered.add(record.key)
        return
      }
      // Listed or not, not again before it is due: a list that failed leaves its runs to be read one by one.
      watch.listed(repository.toLowerCase(), now)
      let runs: readonly WorkflowRun[]
      try {
        runs = await github.repositoryRuns(owner, repo, since, new Set(watched.map((record) => record.runId)))
      } catch (error) {
        if (!(error instanceof GitHubError || error instanceof CredentialsError)) throw error
        session.log.warn(`Could not list the runs of ${repository}; reading them one by one: ${error.message}`)
        return
      }
      const listed = new Map(runs.map((run) => [run.id, run]))
      for (const record of watched) {
        const run = listed.get(record.runId)
        if (run === undefined) continue
        covered.add(record.key)
        if (!lookNeeded(record, run, now, settings)) continue
        session.sightings.set(run.id, run)
        if (configured && deliveryMissed(run, now)) missed += 1
      }
    })
  )
  if (missed > 0) {
    session.log.warn(
      `${missed} run(s) ended over a minute ago and no webhook delivery told the bridge: listing runs at every sweep until deliveries arrive. Check the App's webhook and its recent deliveries.`
    )
    if (trusted) await store.notePush('missedAt')
  }
  return covered
}
