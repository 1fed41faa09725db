import * as core from '@actions/core'

/** Every output of the reporting action; a test holds this list and action.yml together. */
export const REPORT_OUTPUT_NAMES = ['job-id', 'reported', 'confirmed', 'revision', 'change-identifier'] as const
export type ReportOutputName = (typeof REPORT_OUTPUT_NAMES)[number]

/** Sets one of the outputs action.yml declares, empty for undefined; the compiler refuses any other name. */
export function setReportOutput(name: ReportOutputName, value: string | undefined): void {
  core.setOutput(name, value ?? '')
}
