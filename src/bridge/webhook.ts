/**
 * GitHub's webhook deliveries of `workflow_run` events, on the bridge's
 * function URL: a run that ended without reporting has its job failed
 * within seconds, instead of at the sweep's next look.
 *
 * A delivery is a hint, never a verdict. Once its signature holds and it
 * names an ended run the bridge may have started, the bridge reads that run
 * once and acts on what GitHub answers, through the same steps as the sweep.
 * A replayed, repeated or late delivery therefore changes nothing, and a
 * lost one costs the time until the sweep looks.
 */
import { Buffer } from 'node:buffer'
import { createHmac, timingSafeEqual } from 'node:crypto'
import { errorMessage } from '../portable/errors.js'
import { answer, type HttpAnswer, type UrlEvent } from './endpoint.js'
import { Session, type BridgeParts, type Invocation } from './session.js'
import { workLookingNow } from './steps.js'
import type { AllowedRepos } from './target.js'

/** Where GitHub sends deliveries: the stack's WebhookUrl output. */
export const WEBHOOK_PATH = '/v1/webhook'
/** A workflow_run payload weighs some tens of kilobytes; nothing larger is read. */
const DELIVERY_MAX_BYTES = 1024 * 1024
/** GitHub gives a delivery 10 seconds and never sends a failed one again: the bridge answers well within. */
const ANSWER_WITHIN_MS = 4_000
/** GitHub's form of the signature header: the HMAC-SHA256 in lower-case hex. */
const SIGNATURE = /^sha256=([0-9a-f]{64})$/
/** Each container notes that deliveries arrive at most this often. */
const NOTE_EVERY_MS = 60_000

export interface DeliveryParts extends BridgeParts {
  /** The secrets a delivery may be signed with; read again when none signed it. */
  webhookSecrets(noneSigned?: boolean): Promise<readonly string[]>
}

/** True when one of the secrets signed the body: `sha256=` and the HMAC's hex, compared in constant time. */
export function signedBy(body: Buffer, signature: string | undefined, secrets: readonly string[]): boolean {
  const given = SIGNATURE.exec(signature ?? '')?.[1]
  if (given === undefined) return false
  const expected = Buffer.from(given, 'hex')
  return secrets.some((secret) => {
    const computed = createHmac('sha256', secret).update(body).digest()
    return computed.length === expected.length && timingSafeEqual(computed, expected)
  })
}

/**
 * The run a signed delivery says has ended, when the bridge may have
 * started it; otherwise why it is dropped. Pure and cheap: installed across
 * an organisation, the App sends a delivery for every run there.
 */
export function endedRun(
  eventName: string | undefined,
  payload: unknown,
  allowed: AllowedRepos
): { readonly runId: number; readonly repository: string } | string {
  if (eventName !== 'workflow_run') return 'not a workflow_run event'
  const {
    action,
    workflow_run: run,
    repository
  } = (payload ?? {}) as {
    action?: unknown
    workflow_run?: { id?: unknown; event?: unknown }
    repository?: { full_name?: unknown }
  }
  if (action !== 'completed') return 'not a completed run'
  if (run?.event !== 'workflow_dispatch') return 'not a dispatched run'
  const [owner = '', repo = '', ...rest] =
    typeof repository?.full_name === 'string' ? repository.full_name.split('/') : []
  if (rest.length > 0 || !allowed.allows(owner, repo)) return 'a repository outside AllowedRepos'
  if (typeof run.id !== 'number' || !Number.isSafeInteger(run.id) || run.id <= 0) return 'no run ID'
  return { runId: run.id, repository: `${owner}/${repo}` }
}

/** Module state lives as long as the container: when it last noted that deliveries arrive. */
let notedAt = Number.NEGATIVE_INFINITY

/** Answers a delivery: 401 unless signed, 202 once it is dropped or the run it names is looked at. */
export async function answerDelivery(
  parts: DeliveryParts,
  event: UrlEvent,
  invocation: Invocation
): Promise<HttpAnswer> {
  const { log, store, settings, clock } = parts
  const started = clock.now()
  const raw = event.body ?? ''
  const body = Buffer.from(raw, event.isBase64Encoded ? 'base64' : 'utf8')
  if (event.requestContext.http.method !== 'POST') return answer(401, { error: 'unauthorized' })
  if (body.length > DELIVERY_MAX_BYTES) return answer(413, { error: 'too-large' })
  const signature = event.headers?.['x-hub-signature-256']
  let secrets: readonly string[]
  try {
    secrets = await parts.webhookSecrets()
    // Only a signature of the right form may be one a rotated secret made: nothing else costs a read of the secret.
    if (!signedBy(body, signature, secrets) && SIGNATURE.test(signature ?? ''))
      secrets = await parts.webhookSecrets(true)
  } catch (error) {
    log.error(`Could not read the webhook secret: ${errorMessage(error)}`)
    return answer(503, { error: 'unavailable' })
  }
  if (!signedBy(body, signature, secrets)) {
    log.warn(
      secrets.length === 0
        ? 'Refused a webhook delivery: the GitHub credentials secret has no webhookSecret; add the webhook secret to it'
        : 'Refused a webhook delivery whose signature none of the webhook secrets made',
      { delivery: deliveryId(event) }
    )
    return answer(401, { error: 'unauthorized' })
  }
  let payload: unknown
  try {
    payload = JSON.parse(body.toString('utf8'))
  } catch {
    log.warn("Refused a signed delivery that is not JSON: set the webhook's content type to application/json")
    return answer(400, { error: 'malformed' })
  }
  const hint = endedRun(event.headers?.['x-github-event'], payload, settings.allowedRepos)
  if (typeof hint === 'string') return answer(202, { ignored: hint })
  // Whatever does not fit in GitHub's time, or fails, is the sweep's: GitHub does not send a delivery again.
  // The lease lasts as long as the invocation may, so that no sweep takes the record while a step is still going.
  const stepsUntil = started + ANSWER_WITHIN_MS
  const session = new Session(parts, { ...invocation, stepsUntil }, { kind: 'ignored', reason: 'a delivery' })
  try {
    if (started - notedAt > NOTE_EVERY_MS) {
      notedAt = started
      await store.notePush('deliveredAt')
    }
    const record = await store.leaseByRun(hint.runId, session.lease())
    if (record === undefined) return answer(202, { ignored: 'no open job for the run' })
    if (record.phase !== 'running' || record.runId !== hint.runId) {
      await session.letGo(record)
      return answer(202, { ignored: 'no run to look at' })
    }
    log.info('A delivery says the run ended: reading it', {
      jobId: record.jobId,
      repository: hint.repository,
      runId: hint.runId,
      delivery: deliveryId(event)
    })
    await workLookingNow(session, record)
    return answer(202, { checked: hint.runId })
  } catch (error) {
    log.error(`Could not act on the delivery; the sweep will: ${session.explain(error)}`, { runId: hint.runId })
    return answer(503, { error: 'unavailable' })
  }
}

/** GitHub's ID of the delivery, for the log, when it has the form GitHub gives it. */
function deliveryId(event: UrlEvent): string | undefined {
  const id = event.headers?.['x-github-delivery']
  return id !== undefined && /^[\w-]{1,64}$/.test(id) ? id : undefined
}
