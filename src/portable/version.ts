/** The action's own version, sent in the AWS user agent. A test keeps it equal to package.json. */
export const ACTION_NAME = 'codepipeline-job-action'
export const ACTION_VERSION = '0.1.0'
