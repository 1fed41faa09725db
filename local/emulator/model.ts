/**
 * The CodePipeline request shapes the emulator checks, written out from the
 * service model on their own. They stay apart from src/portable/limits.ts on purpose:
 * a mistake there must not be mirrored here, or the tests would not catch it.
 */

export type Shape =
  | { readonly kind: 'string'; readonly min?: number; readonly max?: number; readonly pattern?: RegExp }
  | { readonly kind: 'integer'; readonly min?: number; readonly max?: number }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'timestamp' }
  | { readonly kind: 'structure'; readonly members: Readonly<Record<string, Member>> }
  | { readonly kind: 'map'; readonly key: Shape; readonly value: Shape; readonly max?: number }

export interface Member {
  readonly shape: Shape
  readonly required?: boolean
}

const str = (min?: number, max?: number, pattern?: RegExp): Shape => ({ kind: 'string', min, max, pattern })
const member = (shape: Shape, required = false): Member => ({ shape, required })

export const JobId = str(undefined, undefined, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
const ExecutionId = str(1, 1500)

const CurrentRevision: Shape = {
  kind: 'structure',
  members: {
    revision: member(str(1, 1500), true),
    changeIdentifier: member(str(1, 100), true),
    created: member({ kind: 'timestamp' }),
    revisionSummary: member(str(1, 2048))
  }
}

const ExecutionDetails: Shape = {
  kind: 'structure',
  members: {
    summary: member(str(1, 2048)),
    externalExecutionId: member(ExecutionId),
    percentComplete: member({ kind: 'integer', min: 0, max: 100 })
  }
}

const FailureDetails: Shape = {
  kind: 'structure',
  members: {
    type: member(
      {
        kind: 'enum',
        values: [
          'JobFailed',
          'ConfigurationError',
          'PermissionError',
          'RevisionOutOfSync',
          'RevisionUnavailable',
          'SystemUnavailable'
        ]
      },
      true
    ),
    message: member(str(1, 5000), true),
    externalExecutionId: member(ExecutionId)
  }
}

const ActionTypeId: Shape = {
  kind: 'structure',
  members: {
    category: member(
      { kind: 'enum', values: ['Source', 'Build', 'Deploy', 'Test', 'Invoke', 'Approval', 'Compute'] },
      true
    ),
    owner: member({ kind: 'enum', values: ['AWS', 'ThirdParty', 'Custom'] }, true),
    provider: member(str(1, 35, /^[0-9A-Za-z_-]+$/), true),
    version: member(str(1, 9, /^[0-9A-Za-z_-]+$/), true)
  }
}

/** Input shapes by operation. */
export const OPERATIONS: Readonly<Record<string, Shape>> = {
  PutJobSuccessResult: {
    kind: 'structure',
    members: {
      jobId: member(JobId, true),
      currentRevision: member(CurrentRevision),
      continuationToken: member(str(1, 2048)),
      executionDetails: member(ExecutionDetails),
      outputVariables: member({ kind: 'map', key: str(undefined, undefined, /^[A-Za-z0-9@\-_]+$/), value: str() })
    }
  },
  PutJobFailureResult: {
    kind: 'structure',
    members: { jobId: member(JobId, true), failureDetails: member(FailureDetails, true) }
  },
  AcknowledgeJob: {
    kind: 'structure',
    members: { jobId: member(JobId, true), nonce: member(str(1, 50), true) }
  },
  GetJobDetails: {
    kind: 'structure',
    members: { jobId: member(JobId, true) }
  },
  PollForJobs: {
    kind: 'structure',
    members: {
      actionTypeId: member(ActionTypeId, true),
      maxBatchSize: member({ kind: 'integer', min: 1 }),
      queryParam: member({ kind: 'map', key: str(1, 50), value: str(1, 50, /^[a-zA-Z0-9_-]+$/), max: 1 })
    }
  },
  ListActionTypes: {
    kind: 'structure',
    members: {
      actionOwnerFilter: member({ kind: 'enum', values: ['AWS', 'ThirdParty', 'Custom'] }),
      nextToken: member(str(1, 2048)),
      regionFilter: member(str(4, 30))
    }
  }
}

/** Every way `value` breaks `shape`, as the service would word a ValidationException. */
export function validate(value: unknown, shape: Shape, path: string): string[] {
  switch (shape.kind) {
    case 'string': {
      if (typeof value !== 'string') return [`${path} must be a string`]
      const problems: string[] = []
      if (shape.min !== undefined && value.length < shape.min)
        problems.push(`${path} must have length greater than or equal to ${shape.min}`)
      if (shape.max !== undefined && value.length > shape.max)
        problems.push(`${path} must have length less than or equal to ${shape.max}`)
      if (shape.pattern && !shape.pattern.test(value))
        problems.push(`${path} must satisfy regular expression pattern: ${shape.pattern.source}`)
      return problems
    }
    case 'integer':
      if (!Number.isInteger(value)) return [`${path} must be an integer`]
      if (shape.min !== undefined && (value as number) < shape.min)
        return [`${path} must be greater than or equal to ${shape.min}`]
      if (shape.max !== undefined && (value as number) > shape.max)
        return [`${path} must be less than or equal to ${shape.max}`]
      return []
    case 'enum':
      return typeof value === 'string' && shape.values.includes(value)
        ? []
        : [`${path} must satisfy enum value set: [${shape.values.join(', ')}]`]
    case 'timestamp':
      return typeof value === 'number' && Number.isFinite(value) ? [] : [`${path} must be a timestamp in epoch seconds`]
    case 'map': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path} must be a map`]
      const entries = Object.entries(value)
      const problems =
        shape.max !== undefined && entries.length > shape.max ? [`${path} must have at most ${shape.max} entries`] : []
      for (const [key, entry] of entries) {
        problems.push(...validate(key, shape.key, `${path} key`), ...validate(entry, shape.value, `${path}.${key}`))
      }
      return problems
    }
    case 'structure': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path} must be a structure`]
      const record = value as Record<string, unknown>
      const problems: string[] = []
      for (const key of Object.keys(record)) {
        if (!(key in shape.members)) problems.push(`${path}.${key} is not a member of this shape`)
      }
      for (const [name, { shape: inner, required }] of Object.entries(shape.members)) {
        if (record[name] === undefined || record[name] === null) {
          if (required) problems.push(`${path}.${name} must not be null`)
        } else {
          problems.push(...validate(record[name], inner, `${path}.${name}`))
        }
      }
      return problems
    }
  }
}
