import {
  ConditionalCheckFailedException,
  GetItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient
} from '@aws-sdk/client-dynamodb'
import type { Clock } from './clock.js'
import { attribute, keyOf, plain, TABLE, update, type UpdateRequest } from './dynamo-item.js'
import type { BridgeRecord, Changes, Outcome, PipelinePlace, StoredFields } from './record.js'
import { decodeRecord } from './stored-record.js'
import type { RunFacts } from './run-binding.js'
import type { WorkflowTarget } from './target.js'

export { attribute, plain, TABLE } from './dynamo-item.js'

const OPEN = '1'
/** Open uploads a record lists at most: twice the five output artifacts an action may have. */
const MAX_OPEN_UPLOADS = 10
/** Records outlive their job, which CodePipeline times out after 24 hours, so that a late handout is still known. */
const RECORD_DAYS = 2
/** Items beside the records: a run's pointer to its record, the push health, and the pace of dispatches. */
const RUN_ITEM = 'run#'
const PUSH_ITEM = '#push'
const PACE_ITEM = '#pace'

/** When a webhook delivery last told the bridge of an ended run, and when the sweep last found one that none told. */
export interface PushHealth {
  readonly deliveredAt?: number
  readonly missedAt?: number
}

/** The invocation working on a record, until its deadline. */
export interface Lease {
  readonly owner: string
  readonly until: number
}

/** A polled job's first write: it wins the job, or finds who has it. */
export interface NewJob {
  readonly jobId: string
  readonly nonce: string
  readonly place?: PipelinePlace
  readonly target?: WorkflowTarget
  readonly outcome?: Outcome
}

export type Claim =
  { readonly won: true; readonly record: BridgeRecord } | { readonly won: false; readonly existing?: BridgeRecord }

/** Fields a claim clears, left over from an earlier job of the same action execution. */
const JOB_FIELDS = [
  'acknowledged',
  'ref',
  'attempts',
  'firstFailureAt',
  'nextAttemptAt',
  'lastError',
  'dispatchSentAt',
  'dispatchedAt',
  'runId',
  'runUrl',
  'nextCheckAt',
  'runNameChecked',
  'warning',
  'runFacts',
  'continuation',
  'continuationSentAt',
  'heldAt',
  'uploads',
  'foundByName',
  'report',
  'reportKind',
  'reportedAt',
  'closedBecause',
  'target',
  'outcome',
  'outcomeAt'
] as const satisfies readonly (keyof StoredFields)[]

/**
 * The state store, on DynamoDB: one item per action execution. Every write
 * that decides who works on a job is conditional, so that duplicate events
 * and concurrent invocations never both act.
 */
export class StateStore {
  private spentUntil = 0

  constructor(
    private readonly db: DynamoDBClient,
    private readonly table: string,
    private readonly clock: Pick<Clock, 'now'>
  ) {}

  async get(key: string): Promise<BridgeRecord | undefined> {
    const { Item } = await this.db.send(
      new GetItemCommand({ TableName: this.table, Key: keyOf(key), ConsistentRead: true })
    )
    return Item && toRecord(Item)
  }

  /** Notes a STARTED event, so that the sweep keeps looking until its job shows up. */
  async expect(key: string, place: PipelinePlace): Promise<boolean> {
    return this.written(
      update(
        key,
        { phase: 'expected', place, createdAt: this.clock.now(), [TABLE.openAttribute]: OPEN, ...this.expiry() },
        [],
        {
          condition: `attribute_not_exists(${TABLE.key})`
        }
      )
    )
  }

  /**
   * Takes a polled job for this invocation: when no record has it yet, or
   * when it continues an action execution whose earlier job is done (the
   * record is closed, or expecting the next job). A stopped execution is
   * never taken.
   */
  async claim(key: string, job: NewJob, lease: Lease): Promise<Claim> {
    const now = this.clock.now()
    const request = update(
      key,
      {
        // A job that cannot be started has its result at once.
        phase: job.outcome ? 'decided' : 'dispatching',
        jobId: job.jobId,
        runJobId: job.jobId,
        nonce: job.nonce,
        place: job.place,
        target: job.target,
        outcome: job.outcome,
        outcomeAt: job.outcome && now,
        createdAt: now,
        attempts: 0,
        leaseOwner: lease.owner,
        leaseUntil: lease.until,
        [TABLE.openAttribute]: OPEN,
        ...this.expiry()
      },
      JOB_FIELDS,
      {
        condition:
          'attribute_not_exists(stopped) AND (attribute_not_exists(jobId) OR (phase IN (:closed, :expected) AND jobId <> :jobId))',
        values: { ':closed': 'closed', ':expected': 'expected', ':jobId': job.jobId }
      }
    )
    try {
      const { Attributes } = await this.db.send(
        new UpdateItemCommand({
          ...request,
          TableName: this.table,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD'
        })
      )
      return { won: true, record: toRecord(Attributes ?? {}) }
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error
      return { won: false, existing: error.Item && toRecord(error.Item) }
    }
  }

  /** Takes an open record whose lease is free; undefined when another invocation has it, or it closed. */
  async lease(
    key: string,
    lease: Lease,
    handout?: { jobId: string; nonce: string }
  ): Promise<BridgeRecord | undefined> {
    // Each lease keeps the record for as long again: a job waiting days on an approval stays known.
    const fields = { leaseOwner: lease.owner, leaseUntil: lease.until, nonce: handout?.nonce, ...this.expiry() }
    const request = update(key, fields, [], {
      condition: `#open = :open AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)${handout ? ' AND jobId = :jobId' : ''}`,
      values: { ':open': OPEN, ':now': this.clock.now(), ...(handout && { ':jobId': handout.jobId }) }
    })
    return this.write(request)
  }

  /** Keeps the nonce of a new handout for whoever holds the record, to acknowledge with. */
  async rememberNonce(key: string, jobId: string, nonce: string): Promise<void> {
    await this.write(
      update(key, { nonce }, [], {
        condition: '#open = :open AND jobId = :jobId',
        values: { ':open': OPEN, ':jobId': jobId }
      })
    )
  }

  /**
   * Writes the lease holder's changes; undefined when the lease was lost
   * (another invocation took over after this one's deadline, or the record
   * was closed by an event).
   */
  async save(key: string, owner: string, changes: Changes): Promise<BridgeRecord | undefined> {
    const set: Record<string, unknown> = {}
    const remove: string[] = []
    for (const [field, value] of Object.entries(changes)) {
      if (value === undefined) remove.push(field)
      else set[field] = value
    }
    if (changes.phase === 'closed') remove.push(TABLE.openAttribute, 'leaseOwner', 'leaseUntil')
    const saved = await this.write(
      update(key, set, remove, { condition: 'leaseOwner = :owner', values: { ':owner': owner } })
    )
    // A delivery names the run: this leads it to the record in one read, as consistent as the record itself.
    if (saved && changes.runId !== undefined)
      await this.put(update(`${RUN_ITEM}${changes.runId}`, { record: key, ...this.expiry() }, [], {}))
    return saved
  }

  /** Leases the open record that watches a run, found by the run's pointer; undefined when there is none to act on. */
  async leaseByRun(runId: number, lease: Lease): Promise<BridgeRecord | undefined> {
    const { Item } = await this.db.send(
      new GetItemCommand({ TableName: this.table, Key: keyOf(`${RUN_ITEM}${runId}`), ConsistentRead: true })
    )
    const key = Item?.record?.S
    return key === undefined ? undefined : this.lease(key, lease)
  }

  async pushHealth(): Promise<PushHealth> {
    const { Item = {} } = await this.db.send(new GetItemCommand({ TableName: this.table, Key: keyOf(PUSH_ITEM) }))
    const time = (name: string): number | undefined => (Item[name]?.N === undefined ? undefined : Number(Item[name].N))
    return { deliveredAt: time('deliveredAt'), missedAt: time('missedAt') }
  }

  async notePush(field: keyof PushHealth): Promise<void> {
    await this.put(update(PUSH_ITEM, { [field]: this.clock.now() }, [], {}))
  }

  /**
   * Takes one of the dispatches a minute may have, across every invocation;
   * false when this minute's are gone. GitHub limits how much content an
   * account creates in a minute, and a burst of pipelines must not meet it.
   */
  async pace(perMinute: number): Promise<boolean> {
    const minute = Math.floor(this.clock.now() / 60_000)
    if (this.paceSpent()) return false
    const values = { ':minute': minute, ':one': 1, ':most': perMinute }
    const request = (expression: string, condition: string): UpdateItemCommand =>
      new UpdateItemCommand({
        TableName: this.table,
        Key: keyOf(PACE_ITEM),
        UpdateExpression: expression,
        ConditionExpression: condition,
        ExpressionAttributeNames: { '#minute': 'minute' },
        ExpressionAttributeValues: Object.fromEntries(
          Object.entries(values)
            .filter(([name]) => expression.includes(name) || condition.includes(name))
            .map(([name, value]) => [name, attribute(value)])
        )
      })
    const add = ['ADD sent :one', '#minute = :minute AND sent < :most'] as const
    // A minute's first dispatches race to start its count: the one that loses counts in it after all.
    for (const [expression, condition] of [
      add,
      ['SET #minute = :minute, sent = :one', 'attribute_not_exists(#minute) OR #minute < :minute'] as const,
      add
    ]) {
      try {
        await this.db.send(request(expression, condition))
        return true
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error
      }
    }
    // Nobody here asks again before the next minute.
    this.spentUntil = (minute + 1) * 60_000
    return false
  }

  /** Whether this minute's dispatches are known to be gone. */
  paceSpent(): boolean {
    return this.clock.now() < this.spentUntil
  }

  /**
   * Marks the action execution stopped. A record made here, before any job
   * was seen, stays closed, and keeps a later handout of the job from
   * being dispatched.
   */
  async markStopped(key: string, place: PipelinePlace): Promise<BridgeRecord> {
    const { Attributes } = await this.db.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: keyOf(key),
        UpdateExpression:
          'SET stopped = :true, stoppedAt = if_not_exists(stoppedAt, :now), phase = if_not_exists(phase, :closed), place = if_not_exists(place, :place), createdAt = if_not_exists(createdAt, :now), #expires = if_not_exists(#expires, :expires)',
        ExpressionAttributeNames: { '#expires': TABLE.ttlAttribute },
        ExpressionAttributeValues: {
          ':true': attribute(true),
          ':closed': attribute('closed'),
          ':place': attribute(place),
          ':now': attribute(this.clock.now()),
          ':expires': attribute(this.expiry().expiresAt)
        },
        ReturnValues: 'ALL_NEW'
      })
    )
    return toRecord(Attributes ?? {})
  }

  /** The job has its result (the action succeeded or failed): stop watching. */
  async closeAnswered(key: string, state: string): Promise<boolean> {
    return this.written(
      update(
        key,
        { phase: 'closed', closedBecause: `the action ${state}` },
        [TABLE.openAttribute, 'leaseOwner', 'leaseUntil'],
        {
          condition: 'attribute_exists(jobId) AND #open = :open',
          values: { ':open': OPEN }
        }
      )
    )
  }

  /** The record of a job, found by the job index (keys only) and read whole; undefined when none has it. */
  async findByJob(jobId: string): Promise<BridgeRecord | undefined> {
    const { Items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: TABLE.jobIndex,
        KeyConditionExpression: 'runJobId = :jobId',
        ExpressionAttributeValues: { ':jobId': attribute(jobId) }
      })
    )
    for (const item of Items) {
      const key = item[TABLE.key]?.S
      const record = key === undefined ? undefined : await this.get(key)
      // The index lags the table: the record read whole is the one that counts.
      if (record !== undefined && 'runJobId' in record && record.runJobId === jobId) return record
    }
    return undefined
  }

  /**
   * Moves the record to the job a continuation token of the bridge's led
   * to: only when the token is the one the record holds, so that a token
   * written by anyone else never takes a record over. Undefined otherwise.
   */
  async adopt(key: string, job: { jobId: string; nonce: string }, token: string): Promise<BridgeRecord | undefined> {
    return this.write(
      update(key, { jobId: job.jobId, nonce: job.nonce }, ['acknowledged', 'continuation', 'continuationSentAt'], {
        condition: '#open = :open AND continuation = :token',
        values: { ':open': OPEN, ':token': token }
      })
    )
  }

  /**
   * Notes an output artifact upload the run started (`open`), or one that
   * ended. False when the record is closed, or already lists as many open
   * uploads as a job could ever need: a run cannot grow its record without end.
   */
  async noteUpload(key: string, upload: string, open: boolean): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: keyOf(key),
          UpdateExpression: `${open ? 'ADD' : 'DELETE'} uploads :upload`,
          ...(open && {
            ConditionExpression: '#open = :open AND (attribute_not_exists(uploads) OR size(uploads) < :most)',
            ExpressionAttributeNames: { '#open': TABLE.openAttribute }
          }),
          ExpressionAttributeValues: {
            ':upload': { SS: [upload] },
            ...(open && { ':open': attribute(OPEN), ':most': attribute(MAX_OPEN_UPLOADS) })
          }
        })
      )
      return true
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false
      throw error
    }
  }

  /** Keeps what GitHub says of a job's run with the record, for the run's later calls. */
  async keepRunFacts(key: string, jobId: string, runId: number, runFacts: RunFacts): Promise<void> {
    await this.write(
      update(key, { runFacts }, [], {
        condition: 'runJobId = :jobId AND runId = :runId',
        values: { ':jobId': jobId, ':runId': runId }
      })
    )
  }

  /** Every record with work open, from the sparse index: one read when there is none. */
  async open(): Promise<BridgeRecord[]> {
    const records: BridgeRecord[] = []
    let start: Record<string, AttributeValue> | undefined
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: TABLE.openIndex,
          KeyConditionExpression: '#open = :open',
          ExpressionAttributeNames: { '#open': TABLE.openAttribute },
          ExpressionAttributeValues: { ':open': attribute(OPEN) },
          ExclusiveStartKey: start
        })
      )
      records.push(...(page.Items ?? []).map(toRecord))
      start = page.LastEvaluatedKey
    } while (start)
    return records
  }

  private expiry(): { expiresAt: number } {
    return { expiresAt: Math.floor(this.clock.now() / 1000) + RECORD_DAYS * 24 * 3600 }
  }

  /** Sends an update; the record as it now is, or undefined when the condition did not hold. */
  private async write(request: UpdateRequest): Promise<BridgeRecord | undefined> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateItemCommand({ ...request, TableName: this.table, ReturnValues: 'ALL_NEW' })
      )
      return toRecord(Attributes ?? {})
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined
      throw error
    }
  }

  /** Writes an item beside the records, which is not read back as one. */
  private async put(request: UpdateRequest): Promise<void> {
    await this.db.send(new UpdateItemCommand({ ...request, TableName: this.table }))
  }

  private async written(request: UpdateRequest): Promise<boolean> {
    return (await this.write(request)) !== undefined
  }
}

/** The item as a record; the key becomes `key`, and the store's own attributes stay behind. */
function toRecord(item: Record<string, AttributeValue>): BridgeRecord {
  const fields: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(item)) {
    if (name === TABLE.openAttribute || name === TABLE.ttlAttribute) continue
    fields[name === TABLE.key ? 'key' : name] = plain(value)
  }
  return decodeRecord(fields)
}
