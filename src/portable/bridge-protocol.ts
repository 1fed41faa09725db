/**
 * What a run and the bridge say to each other in credential-free mode: the
 * routes of the bridge's endpoint, what each takes and gives back, and how
 * big a body may be. The actions and the bridge both build on this file, so
 * that neither can drift from the other.
 *
 * Every call is `POST <endpoint>/v1/<route>` with a JSON body and
 * `Authorization: Bearer <the run's GitHub OIDC token>`, whose audience is
 * the endpoint's origin. Every body names the job the run was started for.
 */
import type { FailureType } from './limits.js'

/** The routes, by what they do. */
export const BRIDGE_ROUTES = {
  /** The job's context: what the `job` action reads. */
  job: '/v1/job',
  /** Progress: percent complete and a summary, while the run goes on. */
  progress: '/v1/progress',
  /** The job's result, success or failure. */
  result: '/v1/result',
  /** A URL to read one input artifact, by its name in the job. */
  download: '/v1/artifact/download',
  /** Starts an output artifact's multipart upload, by its name in the job. */
  uploadStart: '/v1/artifact/upload/start',
  /** A URL to send one part of an upload. */
  uploadPart: '/v1/artifact/upload/part',
  /** Completes an upload from its parts' ETags. */
  uploadComplete: '/v1/artifact/upload/complete',
  /** Gives up an upload that will not complete, so that its parts stop costing. */
  uploadAbort: '/v1/artifact/upload/abort'
} as const

export type BridgeRoute = (typeof BRIDGE_ROUTES)[keyof typeof BRIDGE_ROUTES]

/**
 * The largest body each route takes. A result carries up to 122,880 bytes of
 * output variables, which JSON may escape to several times that; a completed
 * upload lists up to 10,000 parts, about 90 bytes each; every other body is a
 * few names. The bridge refuses a larger body before any other work, and the
 * action checks its own body first, so that it can say which input to cut.
 */
export const BRIDGE_BODY_MAX_BYTES = {
  result: 512 * 1024,
  uploadComplete: 1024 * 1024,
  other: 4 * 1024
} as const

export function bodyLimitOf(route: BridgeRoute): number {
  if (route === BRIDGE_ROUTES.result) return BRIDGE_BODY_MAX_BYTES.result
  return route === BRIDGE_ROUTES.uploadComplete ? BRIDGE_BODY_MAX_BYTES.uploadComplete : BRIDGE_BODY_MAX_BYTES.other
}

/** How long a signed artifact URL lives, at most. */
export const SIGNED_URL_MAX_SECONDS = 300

/** The part of every body: the job the run was dispatched for, as its `job-id` input said. */
export interface JobCall {
  readonly jobId: string
}

export interface ProgressCall extends JobCall {
  readonly percentComplete?: number
  readonly summary?: string
}

/** A success as PutJobSuccessResult takes it, less what the bridge sets itself: the job, the run's ID, a continuation. */
export interface SuccessFields {
  readonly currentRevision?: {
    readonly revision: string
    readonly changeIdentifier: string
    readonly revisionSummary?: string
  }
  readonly executionDetails?: { readonly summary?: string; readonly percentComplete?: number }
  readonly outputVariables?: Readonly<Record<string, string>>
}

/** A failure as PutJobFailureResult takes it. */
export interface FailureFields {
  readonly type: FailureType
  readonly message: string
}

/** The job's result, built by the reporting action as it builds it for CodePipeline, and checked again by the bridge. */
export type ResultCall = JobCall & ({ readonly success: SuccessFields } | { readonly failure: FailureFields })

/** What the bridge says of a result. */
export interface ResultAnswer {
  /** CodePipeline has the result; false means it is stored and on its way (HTTP 202). */
  readonly confirmed: boolean
  /** The same result had been sent before. */
  readonly already?: boolean
}

export interface ArtifactCall extends JobCall {
  /** The artifact's name in the job, as the pipeline declares it. */
  readonly name: string
}

/** What uploadStart answers. */
export interface UploadStarted {
  readonly uploadId: string
}

export interface UploadPartCall extends ArtifactCall {
  readonly uploadId: string
  /** 1 to 10,000. */
  readonly partNumber: number
  /** The part's CRC32, base64: signed in, and checked by S3 against the bytes. */
  readonly checksumCRC32: string
}

export interface UploadCompleteCall extends ArtifactCall {
  readonly uploadId: string
  readonly parts: readonly { readonly partNumber: number; readonly etag: string; readonly checksumCRC32: string }[]
}

/** A signed URL, and the headers that must be sent with it exactly as given. */
export interface SignedRequest {
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  /** When the URL stops working, in milliseconds since the epoch. */
  readonly expiresAt: number
}

/** The answer of every refused call: `error` is a stable code, `message` says what to do. */
export interface BridgeRefusal {
  readonly error: string
  readonly message?: string
}
