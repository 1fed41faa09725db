import type { AttributeValue } from '@aws-sdk/client-dynamodb'
import { LENGTH, truncate } from '../portable/limits.js'

/** The table's key, the sparse index of records with work open, and the index by job; the template declares them. */
export const TABLE = {
  key: 'pk',
  openIndex: 'open',
  openAttribute: 'open',
  ttlAttribute: 'expiresAt',
  jobIndex: 'job'
} as const

export interface UpdateRequest {
  Key: Record<string, AttributeValue>
  UpdateExpression: string
  ConditionExpression?: string
  ExpressionAttributeNames: Record<string, string>
  ExpressionAttributeValues?: Record<string, AttributeValue>
}

/**
 * An UpdateItem request: SET for the defined values, REMOVE for the listed
 * fields, every name through a placeholder, plus a condition.
 */
export function update(
  key: string,
  set: Readonly<Record<string, unknown>>,
  remove: readonly string[],
  { condition, values = {} }: { condition?: string; values?: Readonly<Record<string, unknown>> }
): UpdateRequest {
  const names: Record<string, string> = condition?.includes('#open') ? { '#open': TABLE.openAttribute } : {}
  const attributeValues: Record<string, AttributeValue> = {}
  const assignments: string[] = []
  let index = 0
  for (const [field, value] of Object.entries(set)) {
    if (value === undefined) continue
    names[`#f${index}`] = field
    attributeValues[`:v${index}`] = attribute(value)
    assignments.push(`#f${index} = :v${index}`)
    index += 1
  }
  // A field both set and removed would be refused; setting wins.
  const removals = remove
    .filter((field) => set[field] === undefined)
    .map((field) => {
      names[`#f${index}`] = field
      return `#f${index++}`
    })
  for (const [name, value] of Object.entries(values)) attributeValues[name] = attribute(value)
  return {
    Key: keyOf(key),
    UpdateExpression: [
      assignments.length > 0 ? `SET ${assignments.join(', ')}` : '',
      removals.length > 0 ? `REMOVE ${removals.join(', ')}` : ''
    ]
      .filter(Boolean)
      .join(' '),
    ExpressionAttributeNames: names,
    ...(Object.keys(attributeValues).length > 0 && { ExpressionAttributeValues: attributeValues }),
    ...(condition !== undefined && { ConditionExpression: condition })
  }
}

export function keyOf(key: string): Record<string, AttributeValue> {
  return { [TABLE.key]: attribute(key) }
}

/**
 * The longest text an item keeps, as long as the longest failure message
 * CodePipeline takes. GitHub's answers are stored (lastError, outcomes, …):
 * bounded, a record's few dozen strings stay far below DynamoDB's 400 KB
 * item limit, which an item past it would never be written again under.
 */
export const MAX_STORED_TEXT = LENGTH.failureMessage.max

/** A plain value as a DynamoDB attribute; text is cut to MAX_STORED_TEXT. */
export function attribute(value: unknown): AttributeValue {
  if (typeof value === 'string') return { S: truncate(value, MAX_STORED_TEXT) }
  if (typeof value === 'number') return { N: String(value) }
  if (typeof value === 'boolean') return { BOOL: value }
  // Bytes are kept whole: a run's report, bounded where it is read.
  if (value instanceof Uint8Array) return { B: value }
  if (Array.isArray(value)) return { L: value.map(attribute) }
  if (typeof value === 'object' && value !== null) {
    return {
      M: Object.fromEntries(
        Object.entries(value).flatMap(([name, inner]) => (inner === undefined ? [] : [[name, attribute(inner)]]))
      )
    }
  }
  return { NULL: true }
}

/** A DynamoDB attribute as a plain value. */
export function plain(value: AttributeValue): unknown {
  if (value.S !== undefined) return value.S
  if (value.N !== undefined) return Number(value.N)
  if (value.BOOL !== undefined) return value.BOOL
  if (value.B !== undefined) return value.B
  if (value.SS !== undefined) return value.SS
  if (value.L !== undefined) return value.L.map(plain)
  if (value.M !== undefined)
    return Object.fromEntries(Object.entries(value.M).map(([name, inner]) => [name, plain(inner)]))
  return undefined
}
