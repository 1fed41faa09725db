/** Raised when one artifact could not be moved; names it and the direction. */
export class ArtifactError extends Error {
  constructor(
    readonly direction: 'Input' | 'Output',
    readonly artifact: string,
    cause: unknown
  ) {
    super(`${direction} artifact ${artifact}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
    this.name = 'ArtifactError'
  }
}
