import { GetScheduleCommand, UpdateScheduleCommand, type SchedulerClient } from '@aws-sdk/client-scheduler'
import type { Clock } from './clock.js'
import type { Logger } from './json-log.js'
import type { BridgeSettings } from './settings.js'

/** What the schedule sends the function: a sweep, not a pipeline event. The template sets the same. */
export const SWEEP_EVENT = { bridge: 'sweep' } as const
/** How long one lease keeps the sweep running, and how little of it may be left before it is renewed. */
export const LEASE_MS = 15 * 60_000
const RENEW_WHEN_LEFT_MS = 10 * 60_000

/**
 * The sweep runs every minute, but only under a lease: the schedule's end
 * date. Whoever leaves work open makes sure the lease reaches well past
 * now; once nothing is open, nobody renews it, and the schedule stops by
 * itself. An idle bridge is then invoked by nothing at all.
 *
 * The schedule is read first, so that one the stack left disabled, or
 * that someone changed, is put right too.
 */
export class SweepSchedule {
  /** How far this container last saw the lease reach; it does not ask again before it must. */
  private knownUntil = 0

  constructor(
    private readonly scheduler: SchedulerClient,
    private readonly settings: BridgeSettings['sweep'],
    private readonly log: Logger,
    private readonly clock: Pick<Clock, 'now'>
  ) {}

  /** Makes sure the sweep runs for at least ten more minutes. */
  async ensure(): Promise<void> {
    if (this.knownUntil - this.clock.now() > RENEW_WHEN_LEFT_MS) return
    const { Name, GroupName } = { Name: this.settings.scheduleName, GroupName: this.settings.groupName }
    const schedule = await this.scheduler.send(new GetScheduleCommand({ Name, GroupName }))
    const now = this.clock.now()
    const end = schedule.EndDate?.getTime()
    if (schedule.State === 'ENABLED' && end !== undefined && end - now > RENEW_WHEN_LEFT_MS) {
      this.knownUntil = end
      return
    }
    if (!schedule.Target?.Arn || !schedule.Target.RoleArn)
      throw new Error(`The sweep schedule ${Name} has no target: deploy the stack again to restore it`)
    const until = new Date(now + LEASE_MS)
    // UpdateSchedule replaces the whole definition, so all of it goes every time.
    await this.scheduler.send(
      new UpdateScheduleCommand({
        Name,
        GroupName,
        ScheduleExpression: 'rate(1 minute)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'ENABLED',
        EndDate: until,
        Target: {
          Arn: schedule.Target.Arn,
          RoleArn: schedule.Target.RoleArn,
          Input: JSON.stringify(SWEEP_EVENT),
          // The next minute's sweep is the retry.
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 }
        }
      })
    )
    this.knownUntil = until.getTime()
    this.log.info('The sweep runs every minute until its lease ends', { leaseEnds: until.toISOString() })
  }
}
