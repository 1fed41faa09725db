export const id = 6;
export const ids = [6];
export const modules = {

/***/ 9006:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  run: () => (/* binding */ run)
});

// EXTERNAL MODULE: ./node_modules/@actions/core/lib/core.js + 14 modules
var core = __webpack_require__(6421);
// EXTERNAL MODULE: ./node_modules/@aws-sdk/client-codepipeline/dist-cjs/index.js
var dist_cjs = __webpack_require__(8232);
;// CONCATENATED MODULE: ./src/aws-errors.ts
/**
 * Turns what the AWS SDK throws into words a user can act on. Every message
 * names the cause and the fix; the raw SDK text follows for the curious.
 */
function shape(error) {
    return typeof error === 'object' && error !== null ? error : { message: String(error) };
}
/** The error's AWS or Node name: `InvalidJobStateException`, `ECONNRESET`, … */
function errorCode(error) {
    const { name, code } = shape(error);
    return (code && /^E[A-Z]+$/.test(code) ? code : name) ?? 'Error';
}
/** Errors that say the request never left this machine, so it cannot have been processed. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
/**
 * True when an attempt ended without any answer, after the request may have
 * reached CodePipeline: a dropped connection or a timeout. Such a request
 * may well have been processed.
 */
function isAnswerLost(error) {
    const { $metadata, $response, code, name } = shape(error);
    if ($metadata?.httpStatusCode !== undefined || $response !== undefined)
        return false;
    if (code !== undefined && NOT_SENT_CODES.has(code))
        return false;
    return ((code !== undefined && /^E[A-Z]+$/.test(code)) ||
        name === 'TimeoutError' ||
        name === 'RequestTimeout' ||
        /socket hang up|ECONNRESET|EPIPE/i.test(shape(error).message ?? ''));
}
const ACCESS_DENIED = /^(AccessDenied(Exception)?|UnauthorizedOperation|UnauthorizedException|NotAuthorized)$/;
const EXPIRED = /^(ExpiredToken(Exception)?|RequestExpired|TokenRefreshRequired)$/;
const BAD_KEYS = /^(UnrecognizedClientException|InvalidClientTokenId|InvalidSignatureException|IncompleteSignature|SignatureDoesNotMatch)$/;
/** A final error: retrying cannot change the answer. */
function isFinal(error) {
    const code = errorCode(error);
    return ([
        'InvalidJobStateException',
        'JobNotFoundException',
        'ValidationException',
        'OutputVariablesSizeExceededException'
    ].includes(code) ||
        ACCESS_DENIED.test(code) ||
        EXPIRED.test(code) ||
        BAD_KEYS.test(code));
}
function explainAwsError(error, context) {
    const code = errorCode(error);
    const raw = shape(error).message ?? String(error);
    const region = context.region ?? 'the Region the SDK resolved';
    const detail = (text) => `${text} (${code}: ${raw})`;
    if (code === 'InvalidJobStateException') {
        return detail(`CodePipeline did not accept the result: job ${context.jobId} is not waiting for one. Either it already has a result (a re-run of a workflow that already reported, or two steps reporting the same job), it was never acknowledged, or it timed out. A new result needs a new job: retry the stage in CodePipeline`);
    }
    if (code === 'JobNotFoundException') {
        return detail(`CodePipeline in Region ${region} has no job ${context.jobId}. Check that 'aws-region' (or AWS_REGION) is the pipeline's Region and that the credentials belong to the pipeline's AWS account; a job that expired is gone too`);
    }
    if (code === 'OutputVariablesSizeExceededException') {
        return detail("CodePipeline refused the output variables as too large for one action. Pass fewer or shorter variables in 'output-variables'");
    }
    if (code === 'ValidationException') {
        return detail('CodePipeline refused the request as invalid. The action checks every limit it knows before sending, so please report this with the step log (debug on)');
    }
    if (ACCESS_DENIED.test(code)) {
        return detail(`The AWS credentials may not call codepipeline:${context.operation}. Allow codepipeline:${context.operation} in the policy of the role this workflow assumes`);
    }
    if (EXPIRED.test(code)) {
        return detail('The AWS credentials have expired. Role sessions last 1 hour by default: run aws-actions/configure-aws-credentials right before this step, or raise its role-duration-seconds');
    }
    if (BAD_KEYS.test(code)) {
        return detail('AWS did not recognise the credentials. Check that the access key, secret key and session token come from the same, still valid, set');
    }
    if (code === 'CredentialsProviderError' || /Could not load credentials/i.test(raw)) {
        return detail('No AWS credentials were found. Add aws-actions/configure-aws-credentials before this step (OpenID Connect is recommended), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
    }
    if (/Region is missing/i.test(raw)) {
        return detail("No AWS Region is set. Set 'aws-region' to the pipeline's Region, or set AWS_REGION");
    }
    if (code === 'AbortError' || code === 'TimeoutError') {
        return detail(`CodePipeline did not answer within ${context.timeoutSeconds ?? '?'} s ('timeout-seconds'). Check the network path to CodePipeline in ${region}, and raise 'timeout-seconds' if it is only slow`);
    }
    const attempts = context.attempts && context.attempts > 1 ? ` after ${context.attempts} attempts` : '';
    return detail(`Calling CodePipeline ${context.operation} failed${attempts}. If CodePipeline is throttling or unavailable, raise 'max-attempts' or 'timeout-seconds'; otherwise check the network path to CodePipeline in ${region}`);
}

;// CONCATENATED MODULE: ./src/version.ts
/** The action's own version, sent in the AWS user agent. A test keeps it equal to package.json. */
const ACTION_NAME = 'codepipeline-job-action';
const ACTION_VERSION = '0.1.0';

;// CONCATENATED MODULE: ./src/codepipeline.ts




/** Raised when a call finally fails; keeps what the attempts before it saw. */
class CodePipelineCallError extends Error {
    operation;
    cause;
    attempts;
    earlierAnswerLost;
    constructor(operation, cause, attempts, 
    /** True when an earlier attempt may have reached CodePipeline but its answer never came back. */
    earlierAnswerLost) {
        super(cause instanceof Error ? cause.message : String(cause));
        this.operation = operation;
        this.cause = cause;
        this.attempts = attempts;
        this.earlierAnswerLost = earlierAnswerLost;
        this.name = 'CodePipelineCallError';
    }
}
/**
 * The one door to CodePipeline. Retries throttling, 5xx and network errors
 * with the SDK's standard backoff, bounded by `timeout-seconds` overall.
 */
class CodePipeline {
    settings;
    client;
    attemptErrors = [];
    constructor(settings) {
        this.settings = settings;
        this.client = new dist_cjs/* CodePipelineClient */.pEs({
            region: settings.region,
            maxAttempts: settings.maxAttempts,
            retryMode: 'standard',
            customUserAgent: [[ACTION_NAME, ACTION_VERSION]],
            // Per attempt: a hung connection must leave time for the retries.
            requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 }
        });
        // Sits inside the retry loop, so it sees every attempt's error, not just the last.
        this.client.middlewareStack.add((next) => async (args) => {
            try {
                return await next(args);
            }
            catch (error) {
                this.attemptErrors.push(error);
                throw error;
            }
        }, { step: 'deserialize', name: 'recordAttemptErrors' });
    }
    get region() {
        return this.client.config.region();
    }
    putJobSuccessResult(input) {
        return this.send('PutJobSuccessResult', () => this.client.send(new dist_cjs/* PutJobSuccessResultCommand */._Vy(input), { abortSignal: this.deadline() }));
    }
    putJobFailureResult(input) {
        return this.send('PutJobFailureResult', () => this.client.send(new dist_cjs/* PutJobFailureResultCommand */.nFt(input), { abortSignal: this.deadline() }));
    }
    deadline() {
        return AbortSignal.timeout(this.settings.timeoutSeconds * 1000);
    }
    async send(operation, call) {
        this.attemptErrors.length = 0;
        core/* debug */.Yz(`Calling CodePipeline ${operation} (up to ${this.settings.maxAttempts} attempts, ${this.settings.timeoutSeconds} s)`);
        try {
            process.stderr.write(`send-start ${performance.now().toFixed(1)}\n`);
            const output = await call();
            process.stderr.write(`send-end ${performance.now().toFixed(1)}\n`);
            return { attempts: output.$metadata.attempts ?? 1 };
        }
        catch (error) {
            const earlier = this.attemptErrors.filter((seen) => seen !== error);
            for (const seen of earlier)
                core/* debug */.Yz(`${operation}: an earlier attempt failed: ${String(seen)}`);
            throw new CodePipelineCallError(operation, error, Math.max(attemptsOf(error), this.attemptErrors.length), earlier.some(isAnswerLost));
        }
    }
}
function attemptsOf(error) {
    const metadata = error?.$metadata;
    return metadata?.attempts ?? 1;
}

;// CONCATENATED MODULE: ./src/errors.ts
/** A rule that one input breaks: names the input, the rule and what to do. */
class InputError extends Error {
    input;
    rule;
    fix;
    constructor(input, rule, fix) {
        super(`Invalid input '${input}': ${rule}. ${fix}`);
        this.input = input;
        this.rule = rule;
        this.fix = fix;
        this.name = 'InputError';
    }
}
/** Every input problem found in one read, so that a user fixes them all in one go. */
class InvalidInputs extends Error {
    problems;
    constructor(problems) {
        super(problems.map((problem) => problem.message).join('\n'));
        this.problems = problems;
        this.name = 'InvalidInputs';
    }
}
function errorMessage(error) {
    return error instanceof Error ? error.message : String(error);
}
/** Quotes a user-supplied value for an error message, shortened so one bad value cannot flood the log. */
function quote(value, max = 60) {
    const shown = value.length > max ? `${value.slice(0, max)}…` : value;
    return JSON.stringify(shown);
}

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
;// CONCATENATED MODULE: ./src/github-context.ts

function readGitHubContext(env = process.env) {
    return {
        sha: nonEmpty(env.GITHUB_SHA),
        ref: nonEmpty(env.GITHUB_REF),
        refName: nonEmpty(env.GITHUB_REF_NAME),
        eventName: nonEmpty(env.GITHUB_EVENT_NAME),
        payload: readPayload(env.GITHUB_EVENT_PATH),
        repository: nonEmpty(env.GITHUB_REPOSITORY),
        runId: nonEmpty(env.GITHUB_RUN_ID),
        runNumber: nonEmpty(env.GITHUB_RUN_NUMBER),
        runAttempt: nonEmpty(env.GITHUB_RUN_ATTEMPT),
        workflow: nonEmpty(env.GITHUB_WORKFLOW),
        serverUrl: (nonEmpty(env.GITHUB_SERVER_URL) ?? 'https://github.com').replace(/\/+$/, ''),
        apiUrl: (nonEmpty(env.GITHUB_API_URL) ?? 'https://api.github.com').replace(/\/+$/, '')
    };
}
/** The run's page, `<server>/<owner>/<repo>/actions/runs/<id>`, when the run is known. */
function runUrl(context) {
    if (!context.repository || !context.runId)
        return undefined;
    return `${context.serverUrl}/${context.repository}/actions/runs/${context.runId}`;
}
/** Describes this run for people: "workflow 'Build', run #12, attempt 2". */
function describeRun(context) {
    const workflow = context.workflow ? `workflow '${context.workflow}'` : 'GitHub Actions workflow';
    const parts = [workflow];
    if (context.runNumber)
        parts.push(`run #${context.runNumber}`);
    if (context.runAttempt)
        parts.push(`attempt ${context.runAttempt}`);
    return parts.join(', ');
}
function readPayload(path) {
    if (!path || !(0,external_node_fs_.existsSync)(path))
        return {};
    try {
        const parsed = JSON.parse((0,external_node_fs_.readFileSync)(path, 'utf8'));
        return parsed !== null && typeof parsed === 'object' ? parsed : {};
    }
    catch {
        // A payload we cannot read only costs us the commit details, which can be looked up.
        return {};
    }
}
function nonEmpty(value) {
    return value === undefined || value === '' ? undefined : value;
}

;// CONCATENATED MODULE: ./src/limits.ts
/**
 * The CodePipeline job API's own limits, taken from the service model
 * (codepipeline-2015-07-09). Every request this action builds is checked
 * against these before it is sent, so the service is never the first to say no.
 */
/** A job ID is a lowercase UUID. */
const JOB_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Output variable names (OutputVariablesKey). The model puts no length limit on them. */
const OUTPUT_VARIABLE_NAME_PATTERN = /^[A-Za-z0-9@\-_]+$/;
/** All of one action's output variables, names and values together, in UTF-8 bytes. */
const OUTPUT_VARIABLES_MAX_BYTES = 122_880;
/**
 * Not an API limit on the variable itself: a downstream action's configuration
 * value, `#{Namespace.NAME}` included, holds at most this many characters.
 */
const ACTION_CONFIGURATION_VALUE_MAX_LENGTH = 1000;
/** String lengths, in characters, for every free-text field the action sends. */
const LENGTH = {
    revision: { min: 1, max: 1500 },
    changeIdentifier: { min: 1, max: 100 },
    revisionSummary: { min: 1, max: 2048 },
    executionSummary: { min: 1, max: 2048 },
    externalExecutionId: { min: 1, max: 1500 },
    failureMessage: { min: 1, max: 5000 },
    continuationToken: { min: 1, max: 2048 },
    nonce: { min: 1, max: 50 }
};
/** ExecutionDetails.percentComplete */
const PERCENT_COMPLETE = { min: 0, max: 100 };
/** FailureDetails.type */
const FAILURE_TYPES = [
    'JobFailed',
    'ConfigurationError',
    'PermissionError',
    'RevisionOutOfSync',
    'RevisionUnavailable',
    'SystemUnavailable'
];
/**
 * Length in the sense of the model's length trait. The service may count
 * UTF-16 code units or code points; code units are never fewer, so a string
 * within the limit by this count is within it by either.
 */
function lengthOf(text) {
    return text.length;
}
function isWithin(text, limit) {
    const length = lengthOf(text);
    return length >= limit.min && length <= limit.max;
}
const ELLIPSIS = '…';
/**
 * Cuts free text to at most `max` characters, marking the cut with an ellipsis
 * and never splitting a surrogate pair.
 */
function truncate(text, max) {
    if (lengthOf(text) <= max)
        return text;
    let end = max - ELLIPSIS.length;
    const last = text.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff)
        end -= 1;
    return text.slice(0, end) + ELLIPSIS;
}
function utf8Bytes(text) {
    return Buffer.byteLength(text, 'utf8');
}
/** What counts against OUTPUT_VARIABLES_MAX_BYTES: every name and value, in UTF-8. */
function outputVariablesBytes(variables) {
    let total = 0;
    for (const [name, value] of Object.entries(variables))
        total += utf8Bytes(name) + utf8Bytes(value);
    return total;
}
/**
 * Every way a request breaks the model's constraints, as readable lines.
 * The last check before sending: derived values pass through here too.
 */
function requestProblems(request) {
    const problems = [];
    const length = (field, value, limit) => {
        if (value !== undefined && !isWithin(value, limit)) {
            problems.push(`${field} must be ${limit.min}–${limit.max} characters, but is ${lengthOf(value)}`);
        }
    };
    if (request.jobId === undefined || !JOB_ID_PATTERN.test(request.jobId))
        problems.push('jobId must be a lowercase UUID');
    const revision = request.currentRevision;
    if (revision) {
        if (revision.revision === undefined)
            problems.push('currentRevision.revision is required');
        if (revision.changeIdentifier === undefined)
            problems.push('currentRevision.changeIdentifier is required');
        length('currentRevision.revision', revision.revision, LENGTH.revision);
        length('currentRevision.changeIdentifier', revision.changeIdentifier, LENGTH.changeIdentifier);
        length('currentRevision.revisionSummary', revision.revisionSummary, LENGTH.revisionSummary);
    }
    length('continuationToken', request.continuationToken, LENGTH.continuationToken);
    const details = request.executionDetails;
    if (details) {
        length('executionDetails.summary', details.summary, LENGTH.executionSummary);
        length('executionDetails.externalExecutionId', details.externalExecutionId, LENGTH.externalExecutionId);
        const percent = details.percentComplete;
        if (percent !== undefined &&
            (!Number.isInteger(percent) || percent < PERCENT_COMPLETE.min || percent > PERCENT_COMPLETE.max)) {
            problems.push(`executionDetails.percentComplete must be a whole number from 0 to 100, but is ${percent}`);
        }
    }
    const variables = request.outputVariables;
    if (variables) {
        if (request.continuationToken !== undefined)
            problems.push('outputVariables cannot go with a continuationToken');
        for (const name of Object.keys(variables)) {
            if (!OUTPUT_VARIABLE_NAME_PATTERN.test(name))
                problems.push(`output variable name ${JSON.stringify(name)} must match [A-Za-z0-9@\\-_]+`);
        }
        const bytes = outputVariablesBytes(variables);
        if (bytes > OUTPUT_VARIABLES_MAX_BYTES)
            problems.push(`outputVariables total ${bytes} bytes, over ${OUTPUT_VARIABLES_MAX_BYTES}`);
    }
    const failure = request.failureDetails;
    if (failure) {
        if (!FAILURE_TYPES.includes(failure.type)) {
            problems.push(`failureDetails.type must be one of ${FAILURE_TYPES.join(', ')}`);
        }
        if (failure.message === undefined)
            problems.push('failureDetails.message is required');
        length('failureDetails.message', failure.message, LENGTH.failureMessage);
        length('failureDetails.externalExecutionId', failure.externalExecutionId, LENGTH.externalExecutionId);
    }
    return problems;
}

;// CONCATENATED MODULE: ./src/output-variables.ts


const INPUT = 'output-variables';
/**
 * Reads the `output-variables` input: a JSON object, such as
 * `${{ toJSON(steps.build.outputs) }}` gives, or `NAME=value` lines.
 * Returns undefined when the input is empty.
 */
function parseOutputVariables(text) {
    if (text.trim() === '')
        return undefined;
    const variables = looksLikeJson(text) ? fromJson(text) : fromLines(text);
    for (const name of Object.keys(variables))
        checkName(name);
    checkTotalSize(variables);
    return { variables, warnings: longValueWarnings(variables) };
}
function looksLikeJson(text) {
    const first = text.trimStart()[0];
    return first === '{' || first === '[';
}
function fromJson(text) {
    let parsed;
    try {
        parsed = JSON.parse(text);
    }
    catch (error) {
        throw new InputError(INPUT, `it starts like JSON but does not parse (${error.message})`, 'Pass a JSON object such as ${{ toJSON(steps.build.outputs) }}, or NAME=value lines.');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new InputError(INPUT, 'JSON must be an object of names to values, not an array', 'Pass an object such as {"IMAGE_TAG": "1.2.3"}.');
    }
    // fromEntries keeps a name such as __proto__ as a plain own property.
    return Object.fromEntries(Object.entries(parsed).map(([name, value]) => [name, scalarToString(name, value)]));
}
function scalarToString(name, value) {
    if (typeof value === 'string')
        return value;
    if (typeof value === 'number' || typeof value === 'boolean')
        return String(value);
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : 'an object';
    throw new InputError(INPUT, `the value of ${quote(name)} is ${kind}, but CodePipeline variables are strings`, 'Pass a string, number or boolean; to pass structured data, encode it as a JSON string first.');
}
function fromLines(text) {
    const variables = new Map();
    const lines = text.split(/\r?\n/);
    lines.forEach((line, index) => {
        if (line.trim() === '')
            return;
        const separator = line.indexOf('=');
        if (separator < 0) {
            throw new InputError(INPUT, `line ${index + 1} has no '=' (lines must be NAME=value)`, 'Write one NAME=value per line, or pass a JSON object.');
        }
        const name = line.slice(0, separator).trim();
        if (name === '') {
            throw new InputError(INPUT, `line ${index + 1} has no name before '='`, 'Write one NAME=value per line.');
        }
        if (variables.has(name)) {
            throw new InputError(INPUT, `the name ${quote(name)} appears more than once`, 'Give each variable one line; names are case-sensitive.');
        }
        variables.set(name, line.slice(separator + 1));
    });
    return Object.fromEntries(variables);
}
function checkName(name) {
    if (!OUTPUT_VARIABLE_NAME_PATTERN.test(name)) {
        throw new InputError(INPUT, `the name ${quote(name)} has characters CodePipeline does not allow (names match [A-Za-z0-9@\\-_]+)`, 'Rename it using only letters, digits, @, - and _.');
    }
}
function checkTotalSize(variables) {
    const total = outputVariablesBytes(variables);
    if (total > OUTPUT_VARIABLES_MAX_BYTES) {
        throw new InputError(INPUT, `names and values add up to ${total} bytes, over CodePipeline's limit of ${OUTPUT_VARIABLES_MAX_BYTES} bytes for one action`, 'Pass only the variables later pipeline actions read; put large data in an artifact.');
    }
}
function longValueWarnings(variables) {
    return Object.entries(variables)
        .filter(([, value]) => value.length > ACTION_CONFIGURATION_VALUE_MAX_LENGTH)
        .map(([name, value]) => `Output variable ${quote(name)} is ${value.length} characters long. A later action's configuration field holds at most ${ACTION_CONFIGURATION_VALUE_MAX_LENGTH} characters, #{Namespace.${name}} included, so it cannot use this value whole.`);
}

;// CONCATENATED MODULE: ./src/inputs.ts




/** Every input the action reads; action.yml declares exactly these. */
const INPUT_NAMES = (/* unused pure expression or super */ null && ([
    'job-id',
    'status',
    'output-variables',
    'continuation-token',
    'percent-complete',
    'summary',
    'external-execution-id',
    'revision',
    'change-identifier',
    'revision-created',
    'revision-summary',
    'failure-type',
    'failure-message',
    'github-token',
    'aws-region',
    'max-attempts',
    'timeout-seconds'
]));
/** The values of `${{ job.status }}`. */
const STATUSES = ['success', 'failure', 'cancelled'];
const DEFAULT_MAX_ATTEMPTS = 10;
const DEFAULT_TIMEOUT_SECONDS = 120;
function input(name) {
    return core/* getInput */.V4(name).trim();
}
function optionalInput(name) {
    const value = input(name);
    return value === '' ? undefined : value;
}
/** Checked first and on its own: without a valid job ID there is nothing to report to. */
function readJobId() {
    const jobId = input('job-id');
    if (jobId === '') {
        throw new InputError('job-id', 'it is required', 'Pass the ID of the CodePipeline job this workflow works on, for example job-id: ${{ inputs.job-id }}.');
    }
    if (!JOB_ID_PATTERN.test(jobId)) {
        const hint = JOB_ID_PATTERN.test(jobId.toLowerCase()) ? ' (it has upper-case letters)' : '';
        throw new InputError('job-id', `${quote(jobId)} is not a CodePipeline job ID, which is a lowercase UUID such as 0ed0f7a4-2f1c-4c49-9b0b-8b5a1a2f5e11${hint}`, 'Pass the job ID exactly as CodePipeline gave it.');
    }
    return jobId;
}
/** Reads the AWS inputs, falling back to defaults for bad values so that the problem can still be reported. */
function readAwsSettings(env = process.env) {
    const problems = [];
    const collect = (read, fallback) => {
        try {
            return read();
        }
        catch (error) {
            if (!(error instanceof InputError))
                throw error;
            problems.push(error);
            return fallback;
        }
    };
    const regionInput = optionalInput('aws-region');
    const region = collect(() => checkRegion(regionInput), undefined) ?? envRegion(env);
    const maxAttempts = collect(() => readInteger('max-attempts', { min: 1, max: 50 }, DEFAULT_MAX_ATTEMPTS, 'Use 1 to turn retries off.'), DEFAULT_MAX_ATTEMPTS);
    const timeoutSeconds = collect(() => readInteger('timeout-seconds', { min: 1, max: 3600 }, DEFAULT_TIMEOUT_SECONDS, 'It bounds all attempts together.'), DEFAULT_TIMEOUT_SECONDS);
    return { settings: { region, maxAttempts, timeoutSeconds }, problems };
}
function envRegion(env) {
    return env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || undefined;
}
function checkRegion(region) {
    if (region !== undefined && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(region)) {
        throw new InputError('aws-region', `${quote(region)} is not an AWS Region code`, "Use the pipeline's Region code, such as us-east-1, or leave it empty to use AWS_REGION.");
    }
    return region;
}
/**
 * Reads everything else, collecting every problem so that one failed run
 * shows them all. Throws InvalidInputs when any input breaks a rule.
 */
function readReportSettings(jobId) {
    const problems = [];
    const warnings = [];
    const check = (read) => {
        try {
            return read();
        }
        catch (error) {
            if (!(error instanceof InputError))
                throw error;
            problems.push(error);
            return undefined;
        }
    };
    const githubToken = optionalInput('github-token');
    // Masked before anything else can print it.
    if (githubToken)
        core/* setSecret */.Pq(githubToken);
    const status = check(readStatus) ?? 'success';
    const continuationToken = check(() => readLimited('continuation-token', LENGTH.continuationToken, 'CodePipeline hands the token back to the next job, so keep it to an ID, not data.'));
    const variables = check(() => parseOutputVariables(core/* getInput */.V4('output-variables')));
    if (variables)
        warnings.push(...variables.warnings);
    if (status === 'success' && variables && continuationToken !== undefined) {
        problems.push(new InputError('output-variables', "CodePipeline takes output variables only with the final result, not together with 'continuation-token'", "Pass 'output-variables' in the step that reports without a continuation token."));
    }
    const percentComplete = check(() => readInteger('percent-complete', PERCENT_COMPLETE, undefined, 'Leave it empty to send 100 with a final report.'));
    const summary = optionalInput('summary');
    const externalExecutionId = check(() => readLimited('external-execution-id', LENGTH.externalExecutionId, 'Leave it empty to use the run ID, which links the pipeline to this run.'));
    const revision = check(readRevisionOverrides) ?? {};
    const failureType = check(readFailureType) ?? 'JobFailed';
    const failureMessage = optionalInput('failure-message');
    if (problems.length > 0)
        throw new InvalidInputs(problems);
    return {
        jobId,
        status,
        ...(variables && { outputVariables: variables.variables }),
        continuationToken,
        percentComplete,
        summary: summary && truncate(summary, LENGTH.executionSummary.max),
        externalExecutionId,
        revision,
        failureType,
        failureMessage: failureMessage && truncate(failureMessage, LENGTH.failureMessage.max),
        githubToken,
        warnings
    };
}
function readStatus() {
    const status = input('status').toLowerCase() || 'success';
    if (!STATUSES.includes(status)) {
        throw new InputError('status', `${quote(status)} is not one of ${STATUSES.join(', ')}`, 'Pass status: ${{ job.status }} in a step with if: always(), or leave it empty to report success.');
    }
    return status;
}
function readFailureType() {
    const type = input('failure-type') || 'JobFailed';
    const match = FAILURE_TYPES.find((known) => known.toLowerCase() === type.toLowerCase());
    if (!match) {
        throw new InputError('failure-type', `${quote(type)} is not a CodePipeline failure type`, `Use one of ${FAILURE_TYPES.join(', ')}.`);
    }
    return match;
}
function readRevisionOverrides() {
    const revision = readLimited('revision', LENGTH.revision, 'Pass a commit SHA or another revision ID.');
    const changeIdentifier = readLimited('change-identifier', LENGTH.changeIdentifier, 'Use a branch name, tag or other short label.');
    const createdText = optionalInput('revision-created');
    let created;
    if (createdText !== undefined) {
        created = new Date(createdText);
        if (!/^\d{4}-\d{2}-\d{2}/.test(createdText) || Number.isNaN(created.getTime())) {
            throw new InputError('revision-created', `${quote(createdText)} is not an ISO 8601 date and time`, 'Use a form such as 2026-11-26T09:30:00Z, for example the output of git log -1 --format=%cI.');
        }
    }
    const summary = optionalInput('revision-summary');
    return {
        ...(revision !== undefined && { revision }),
        ...(changeIdentifier !== undefined && { changeIdentifier }),
        ...(created && { created }),
        ...(summary !== undefined && { summary: truncate(summary, LENGTH.revisionSummary.max) })
    };
}
/** An optional input that must fit the API's length limit; it is not free text, so it is rejected rather than cut. */
function readLimited(name, limit, fix) {
    const value = optionalInput(name);
    if (value !== undefined && !isWithin(value, limit)) {
        throw new InputError(name, `it is ${value.length} characters long, over CodePipeline's limit of ${limit.max}`, fix);
    }
    return value;
}
function readInteger(name, range, fallback, fix) {
    const text = optionalInput(name);
    if (text === undefined)
        return fallback;
    const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < range.min || value > range.max) {
        throw new InputError(name, `${quote(text)} is not a whole number from ${range.min} to ${range.max}`, fix);
    }
    return value;
}

;// CONCATENATED MODULE: ./src/job-result.ts


/** Builds PutJobSuccessResult for a final result or, with a continuation token, for progress. */
function successRequest(settings, currentRevision, context) {
    const continuing = settings.continuationToken !== undefined;
    const percentComplete = settings.percentComplete ?? (continuing ? undefined : 100);
    const externalExecutionId = settings.externalExecutionId ?? context.runId;
    return {
        jobId: settings.jobId,
        ...(currentRevision && { currentRevision }),
        ...(continuing && { continuationToken: settings.continuationToken }),
        executionDetails: {
            summary: settings.summary ?? defaultSummary(continuing ? 'In progress' : 'Succeeded', context),
            ...(externalExecutionId && { externalExecutionId }),
            ...(percentComplete !== undefined && { percentComplete })
        },
        ...(!continuing && settings.outputVariables && { outputVariables: settings.outputVariables })
    };
}
function failureRequest(jobId, type, message, context, externalExecutionId = context.runId) {
    return {
        jobId,
        failureDetails: {
            type,
            message: truncate(message, LENGTH.failureMessage.max),
            ...(externalExecutionId && { externalExecutionId })
        }
    };
}
/** "Succeeded in workflow 'Build', run #12, attempt 1: <run URL>", within the API's limit. */
function defaultSummary(outcome, context) {
    const url = runUrl(context);
    return truncate(`${outcome} in ${describeRun(context)}${url ? `: ${url}` : ''}`, LENGTH.executionSummary.max);
}
/** Says what happened to the run and where to look, for the pipeline's failure details. */
function defaultFailureMessage(status, context) {
    const url = runUrl(context);
    const what = status === 'cancelled' ? 'was cancelled' : 'failed';
    return `GitHub Actions ${describeRun(context)} ${what}.${url ? ` See ${url}` : ''}`;
}

;// CONCATENATED MODULE: ./src/commit-lookup.ts


const LOOKUP_TIMEOUT_MS = 10_000;
/**
 * Looks a commit up through the GitHub REST API at GITHUB_API_URL, so that
 * GitHub Enterprise Server works too. A failed lookup only costs the report
 * its commit time and summary, so it warns instead of failing.
 */
function githubCommitLookup(context, token) {
    return async (sha) => {
        const skip = (reason) => {
            core/* warning */.$e(`Reporting revision ${sha} without its commit time and summary: ${reason}. Set 'revision-created' and 'revision-summary' to send them anyway.`);
            return undefined;
        };
        if (!context.repository)
            return skip('GITHUB_REPOSITORY is not set, so the commit cannot be looked up');
        if (!token)
            return skip("'github-token' is empty, so the commit cannot be looked up");
        const [owner, repo] = context.repository.split('/');
        try {
            // Loaded only here: most events carry the commit in their payload and never need Octokit.
            const { getOctokit } = await __webpack_require__.e(/* import() */ 413).then(__webpack_require__.bind(__webpack_require__, 2413));
            const octokit = getOctokit(token, { baseUrl: context.apiUrl });
            core/* debug */.Yz(`Looking up commit ${sha} at ${context.apiUrl}`);
            const { data } = await octokit.rest.git.getCommit({
                owner,
                repo,
                commit_sha: sha,
                request: { signal: AbortSignal.timeout(LOOKUP_TIMEOUT_MS) }
            });
            const committedAt = new Date(data.committer.date);
            return {
                committedAt: Number.isNaN(committedAt.getTime()) ? undefined : committedAt,
                message: data.message
            };
        }
        catch (error) {
            return skip(`the GitHub API lookup at ${context.apiUrl} failed (${errorMessage(error)})`);
        }
    };
}

;// CONCATENATED MODULE: ./src/revision.ts

/**
 * The `currentRevision` to report: the commit this workflow ran on, unless the
 * user names another. Undefined when there is no revision at all.
 */
async function resolveCurrentRevision(overrides, context, lookupCommit) {
    const revision = overrides.revision ?? context.sha;
    if (revision === undefined)
        return undefined;
    // Commit details describe context.sha, so they only apply when that is what we report.
    const needsDetails = overrides.created === undefined || overrides.summary === undefined;
    const details = needsDetails && revision === context.sha ? await commitDetails(revision, context, lookupCommit) : undefined;
    const created = overrides.created ?? details?.committedAt;
    const summary = overrides.summary ?? firstLine(details?.message);
    return {
        revision,
        changeIdentifier: overrides.changeIdentifier ?? truncate(changeIdentifierFor(context) ?? revision, LENGTH.changeIdentifier.max),
        ...(created && { created }),
        ...(summary && { revisionSummary: truncate(summary, LENGTH.revisionSummary.max) })
    };
}
/** A branch or tag name, or `pull/<number>` for pull-request events. */
function changeIdentifierFor(context) {
    const pullNumber = context.payload.pull_request?.number ?? context.payload.number;
    if (context.eventName?.startsWith('pull_request') && pullNumber !== undefined)
        return `pull/${pullNumber}`;
    if (context.refName)
        return context.refName;
    return context.ref?.replace(/^refs\/(heads|tags)\//, '');
}
async function commitDetails(sha, context, lookupCommit) {
    const headCommit = context.payload.head_commit;
    if (headCommit?.id === sha && (headCommit.timestamp || headCommit.message)) {
        return { committedAt: parseDate(headCommit.timestamp), message: headCommit.message };
    }
    return lookupCommit(sha);
}
function firstLine(message) {
    const line = message?.split(/\r?\n/, 1)[0]?.trim();
    return line ? line : undefined;
}
function parseDate(text) {
    if (!text)
        return undefined;
    const date = new Date(text);
    return Number.isNaN(date.getTime()) ? undefined : date;
}

;// CONCATENATED MODULE: ./src/step-summary.ts


const HEADINGS = {
    success: 'CodePipeline job succeeded',
    continuation: 'CodePipeline job in progress',
    failure: 'CodePipeline job failed'
};
/**
 * Writes what CodePipeline was told to the step summary. Variable values are
 * left out: they may hold data a user would not want on the run page.
 */
async function writeStepSummary(reported, request, env = process.env) {
    // core.summary throws without this file, as when run outside a runner.
    if (!env.GITHUB_STEP_SUMMARY)
        return;
    const rows = [['Job', code(request.jobId)]];
    if ('failureDetails' in request && request.failureDetails) {
        rows.push(['Failure type', request.failureDetails.type], ['Message', step_summary_escape(request.failureDetails.message)]);
    }
    else {
        const success = request;
        const revision = success.currentRevision;
        if (revision) {
            rows.push(['Revision', code(revision.revision)], ['Change', step_summary_escape(revision.changeIdentifier)], ['Committed', revision.created?.toISOString()], ['Commit summary', step_summary_escape(revision.revisionSummary)]);
        }
        rows.push(['Summary', step_summary_escape(success.executionDetails?.summary)], ['Percent complete', success.executionDetails?.percentComplete?.toString()]);
        if (success.continuationToken)
            rows.push(['Continuation token', `sent (${success.continuationToken.length} characters)`]);
        if (success.outputVariables) {
            const names = Object.keys(success.outputVariables);
            rows.push([
                'Output variables',
                names.length === 0
                    ? 'none'
                    : `${names.map(code).join(', ')} (${outputVariablesBytes(success.outputVariables)} bytes)`
            ]);
        }
    }
    const table = rows
        .filter((row) => row[1] !== undefined && row[1] !== '')
        .map(([name, value]) => `<tr><th align="left">${name}</th><td>${value}</td></tr>`)
        .join('');
    await core/* summary */.z.addHeading(HEADINGS[reported], 3).addRaw(`<table>${table}</table>`, true).write();
}
function step_summary_escape(text) {
    return text?.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
function code(text) {
    return text === undefined ? undefined : `<code>${step_summary_escape(text)}</code>`;
}

;// CONCATENATED MODULE: ./src/reporter.ts








/** Sends one result and tells the workflow what was sent. */
class Reporter {
    pipeline;
    aws;
    context;
    jobId;
    constructor(pipeline, aws, context, jobId) {
        this.pipeline = pipeline;
        this.aws = aws;
        this.context = context;
        this.jobId = jobId;
    }
    async succeed(settings) {
        const lookup = githubCommitLookup(this.context, settings.githubToken);
        const revision = await resolveCurrentRevision(settings.revision, this.context, lookup);
        const request = successRequest(settings, revision, this.context);
        const problems = requestProblems(request);
        if (problems.length > 0) {
            const message = `The result for job ${this.jobId} breaks CodePipeline's limits: ${problems.join('; ')}. Check the inputs and the workflow's environment.`;
            core/* error */.z3(message);
            await this.fail('ConfigurationError', message, true);
            return;
        }
        const reported = request.continuationToken ? 'continuation' : 'success';
        try {
            await this.send(request, () => this.pipeline.putJobSuccessResult(request));
        }
        catch (error) {
            if (!(error instanceof CodePipelineCallError))
                throw error;
            const explanation = this.explain(error);
            core/* setFailed */.C1(explanation);
            // A request CodePipeline found wrong in content can still be answered with a failure, so the pipeline stops.
            if (['ValidationException', 'OutputVariablesSizeExceededException'].includes(errorCode(error.cause))) {
                await this.fail('JobFailed', explanation, true);
            }
            return;
        }
        core/* setOutput */.uH('reported', reported);
        if (revision) {
            core/* setOutput */.uH('revision', revision.revision);
            core/* setOutput */.uH('change-identifier', revision.changeIdentifier);
        }
        core/* info */.pq(reported === 'success'
            ? `Reported success for CodePipeline job ${this.jobId}${revision ? ` at revision ${revision.revision}` : ''}.`
            : `Reported progress for CodePipeline job ${this.jobId}; CodePipeline will hand out a new job carrying the continuation token.`);
        await writeStepSummary(reported, request);
    }
    /**
     * Reports a failure. `stepFails` is true when the failure is this step's own
     * (bad configuration), false when the step faithfully reports the workflow's.
     */
    async fail(type, message, stepFails, externalExecutionId) {
        const request = failureRequest(this.jobId, type, message, this.context, externalExecutionId ?? this.context.runId);
        try {
            await this.send(request, () => this.pipeline.putJobFailureResult(request));
        }
        catch (error) {
            if (!(error instanceof CodePipelineCallError))
                throw error;
            const explanation = this.explain(error);
            core/* setFailed */.C1(stepFails ? `Could not tell CodePipeline about the problem above: ${explanation}` : explanation);
            return;
        }
        if (stepFails)
            core/* setFailed */.C1(`Reported ${type} to CodePipeline for job ${this.jobId}: ${message}`);
        else
            core/* info */.pq(`Reported ${type} for CodePipeline job ${this.jobId}: ${message}`);
        core/* setOutput */.uH('reported', 'failure');
        await writeStepSummary('failure', request);
    }
    /** Sends, and accepts a refusal that only shows an earlier attempt got through. */
    async send(request, call) {
        core/* debug */.Yz(`Request: ${JSON.stringify(request)}`);
        try {
            const result = await call();
            if (result.attempts > 1)
                core/* info */.pq(`CodePipeline answered after ${result.attempts} attempts.`);
        }
        catch (error) {
            if (error instanceof CodePipelineCallError &&
                error.earlierAnswerLost &&
                errorCode(error.cause) === 'InvalidJobStateException') {
                // The retry found the job already answered: the attempt whose answer was lost almost surely landed.
                core/* warning */.$e(`An earlier attempt's answer was lost on the way back, and the retry found job ${this.jobId} already answered. That attempt almost surely reached CodePipeline, so this step passes. Check the pipeline if in doubt.`);
                return;
            }
            throw error;
        }
    }
    explain(error) {
        core/* debug */.Yz(`${error.operation} failed: ${String(error.cause)}`);
        return explainAwsError(error.cause, {
            operation: error.operation,
            jobId: this.jobId,
            region: this.aws.region,
            attempts: error.attempts,
            timeoutSeconds: this.aws.timeoutSeconds
        });
    }
}

;// CONCATENATED MODULE: ./src/secrets.ts

/** Environment variables whose values must never reach a log, output or summary. */
const SECRET_ENVIRONMENT = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'];
/** Masks the AWS credentials in the environment; runs before anything can print them. */
function maskEnvironmentSecrets(env = process.env) {
    for (const name of SECRET_ENVIRONMENT) {
        const value = env[name]?.trim();
        if (value)
            core/* setSecret */.Pq(value);
    }
}

;// CONCATENATED MODULE: ./src/main.ts








/** Reports a CodePipeline job's result from a workflow step. */
async function run(env = process.env) {
    maskEnvironmentSecrets(env);
    let jobId;
    try {
        jobId = readJobId();
    }
    catch (error) {
        // Without a job ID there is nobody to tell, so the step alone fails.
        core/* setFailed */.C1(errorMessage(error));
        return;
    }
    core/* setOutput */.uH('job-id', jobId);
    const context = readGitHubContext(env);
    const aws = readAwsSettings(env);
    const problems = [...aws.problems];
    let settings;
    try {
        settings = readReportSettings(jobId);
    }
    catch (error) {
        if (!(error instanceof InvalidInputs))
            throw error;
        problems.push(...error.problems);
    }
    const pipeline = new CodePipeline(aws.settings);
    const reporter = new Reporter(pipeline, aws.settings, context, jobId);
    try {
        if (problems.length > 0 || settings === undefined) {
            // The pipeline is waiting on this job: tell it, or it waits for a day.
            for (const problem of problems)
                core/* error */.z3(problem.message);
            await reporter.fail('ConfigurationError', problems.map((problem) => problem.message).join('\n'), true);
            return;
        }
        for (const warning of settings.warnings)
            core/* warning */.$e(warning);
        if (settings.status === 'success') {
            await reporter.succeed(settings);
        }
        else {
            const message = settings.failureMessage ?? defaultFailureMessage(settings.status, context);
            await reporter.fail(settings.failureType, message, false, settings.externalExecutionId);
        }
    }
    catch (error) {
        core/* setFailed */.C1(errorMessage(error));
    }
}


/***/ })

};

//# sourceMappingURL=6.index.js.map