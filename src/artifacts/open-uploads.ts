/**
 * The uploads this process has open. A step told to stop (SIGINT, SIGTERM)
 * aborts them here, so that no multipart upload is left behind with its parts
 * billed. Kept free of S3 code so that a signal handler can import it without
 * loading the artifact code.
 */

/** An upload that can be stopped; `stop` settles once its cleanup is done. */
export interface StoppableUpload {
  stop(): Promise<void>
}

const open = new Set<StoppableUpload>()

/** Registers an upload until the returned function is called. */
export function trackUpload(upload: StoppableUpload): () => void {
  open.add(upload)
  return () => open.delete(upload)
}

/**
 * Stops every upload in progress and aborts its multipart upload in S3.
 * Settles, never rejects, once each has been cleaned up or given up on.
 */
export async function abortOpenUploads(): Promise<void> {
  await Promise.allSettled([...open].map((upload) => upload.stop()))
}

/** How many uploads are open; zero when nothing needs cleaning up. */
export function openUploadCount(): number {
  return open.size
}
