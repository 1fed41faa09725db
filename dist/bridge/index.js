// codepipeline-job-action 0.1.0: the bridge's Lambda handler, built from src/bridge/ by `npm run bundle`.
"use strict";
var __defProp = Object.defineProperty;
var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __hasOwnProp = Object.prototype.hasOwnProperty;
var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: true });
};
var __copyProps = (to, from, except, desc) => {
  if (from && typeof from === "object" || typeof from === "function") {
    for (let key of __getOwnPropNames(from))
      if (!__hasOwnProp.call(to, key) && key !== except)
        __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
  }
  return to;
};
var __toCommonJS = (mod) => __copyProps(__defProp({}, "__esModule", { value: true }), mod);

// src/bridge/index.ts
var index_exports = {};
__export(index_exports, {
  handler: () => handler
});
module.exports = __toCommonJS(index_exports);
var import_node_crypto2 = require("node:crypto");
var import_promises = require("node:timers/promises");
var import_client_dynamodb2 = require("@aws-sdk/client-dynamodb");
var import_client_scheduler2 = require("@aws-sdk/client-scheduler");
var import_client_secrets_manager = require("@aws-sdk/client-secrets-manager");

// src/portable/codepipeline.ts
var import_client_codepipeline = require("@aws-sdk/client-codepipeline");

// src/portable/aws-errors.ts
function explainCallError(error, context) {
  return explain(error.cause, {
    operation: error.operation,
    jobId: context.jobId ?? "the job",
    region: context.region,
    attempts: error.attempts,
    timeoutSeconds: context.timeoutSeconds,
    names: context.names
  });
}
function shape(error) {
  return typeof error === "object" && error !== null ? error : { message: String(error) };
}
function errorCode(error) {
  const { name, code } = shape(error);
  return (code && /^E[A-Z]+$/.test(code) ? code : name) ?? "Error";
}
var NOT_SENT_CODES = /* @__PURE__ */ new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ERR_PROXY_TUNNEL"
]);
function isAnswerLost(error) {
  const { $metadata, $response, code, name } = shape(error);
  if ($metadata?.httpStatusCode !== void 0 || $response !== void 0) return false;
  if (code !== void 0 && NOT_SENT_CODES.has(code)) return false;
  return code !== void 0 && /^E[A-Z]+$/.test(code) || name === "TimeoutError" || name === "RequestTimeout" || /socket hang up|ECONNRESET|EPIPE/i.test(shape(error).message ?? "");
}
var ACCESS_DENIED = /^(AccessDenied(Exception)?|UnauthorizedOperation|UnauthorizedException|NotAuthorized)$/;
var EXPIRED = /^(ExpiredToken(Exception)?|RequestExpired|TokenRefreshRequired)$/;
var BAD_KEYS = /^(UnrecognizedClientException|InvalidClientTokenId|InvalidSignatureException|IncompleteSignature|SignatureDoesNotMatch)$/;
function credentialsProblem(error) {
  const code = errorCode(error);
  if (EXPIRED.test(code)) return "expired";
  if (BAD_KEYS.test(code)) return "unrecognised";
  if (code === "CredentialsProviderError" || /Could not load credentials/i.test(shape(error).message ?? String(error)))
    return "missing";
  return void 0;
}
function explain(error, context) {
  const code = errorCode(error);
  const raw = shape(error).message ?? String(error);
  const { names } = context;
  const region = context.region ?? "the Region the SDK resolved";
  const detail = (text) => `${text} (${code}: ${raw})`;
  if (code === "InvalidJobStateException") {
    return detail(
      `CodePipeline did not accept the result: job ${context.jobId} is not waiting for one. Either it already has a result (a re-run of a workflow that already reported, or two steps reporting the same job), it was never acknowledged, or it timed out. A new result needs a new job: retry the stage in CodePipeline`
    );
  }
  if (code === "JobNotFoundException") {
    return detail(
      `CodePipeline in Region ${region} has no job ${context.jobId}. Check that ${names.region} is the pipeline's Region and that the credentials belong to the pipeline's AWS account; a job that expired is gone too`
    );
  }
  if (code === "OutputVariablesSizeExceededException") {
    return detail(
      `CodePipeline refused the output variables as too large for one action. Pass fewer or shorter variables${names.outputVariables ? ` in ${names.outputVariables}` : ""}`
    );
  }
  if (code === "InvalidNonceException") {
    return detail(
      `Another worker already claimed job ${context.jobId}: CodePipeline refused the nonce. Make sure only one workflow is started per job, and pass the nonce that came with the job`
    );
  }
  if (code === "ActionTypeNotFoundException") {
    return detail(
      `CodePipeline in Region ${region} has no such custom action type. Check ${names.actionType} against the action type, and the Region`
    );
  }
  if (code === "ValidationException" && context.operation === "PollForJobs" && names.query) {
    return detail(
      `CodePipeline refused the poll. If the action type has a queryable property, ${names.query} must name it (NAME=value); if it has none, leave ${names.query} empty`
    );
  }
  if (code === "ValidationException") {
    return detail(
      "CodePipeline refused the request as invalid. Every limit known is checked before sending, so please report this with the log (debug on)"
    );
  }
  if (ACCESS_DENIED.test(code)) {
    return detail(
      `The AWS credentials may not call codepipeline:${context.operation}. Allow codepipeline:${context.operation} in the policy of ${names.principal}`
    );
  }
  const credentials = credentialsProblem(error);
  if (credentials === "expired") return detail(`The AWS credentials have expired. ${names.expiredCredentials}`);
  if (credentials === "unrecognised") {
    return detail(
      "AWS did not recognise the credentials. Check that the access key, secret key and session token come from the same, still valid, set"
    );
  }
  if (credentials === "missing") return detail(`No AWS credentials were found. ${names.missingCredentials}`);
  if (/Region is missing/i.test(raw))
    return detail(`No AWS Region is set. Set ${names.region} to the pipeline's Region`);
  if (code === "AbortError" || code === "TimeoutError") {
    const setting = names.timeout ? ` (${names.timeout})` : "";
    const raise2 = names.timeout ? `, and raise ${names.timeout} if it is only slow` : "";
    return detail(
      `CodePipeline did not answer within ${context.timeoutSeconds} s${setting}. Check the network path to CodePipeline in ${region}${raise2}`
    );
  }
  const attempts = context.attempts > 1 ? ` after ${context.attempts} attempts` : "";
  const settings = [names.attempts, names.timeout].filter((name) => name !== void 0);
  const raise = settings.length > 0 ? `raise ${settings.join(" or ")}` : "it is tried again later";
  return detail(
    `Calling CodePipeline ${context.operation} failed${attempts}. If CodePipeline is throttling or unavailable, ${raise}; otherwise check the network path to CodePipeline in ${region}`
  );
}

// src/portable/proxy.ts
var import_node_http = require("node:http");
var import_node_https = require("node:https");
var NODE_PROXY_SUPPORT = "24.5.0 (or 22.21.0)";
function nodeSupportsProxyEnv(version = process.versions.node) {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  return major >= 25 || major === 24 && minor >= 5 || major === 22 && minor >= 21;
}
function readProxySettings(env = process.env, nodeVersion = process.versions.node) {
  const problems = [];
  const read = (lower, upper) => {
    const name = env[lower] ? lower : upper;
    const value = env[name]?.trim();
    if (!value) return void 0;
    const url = parseProxyUrl(value);
    if (url === void 0)
      problems.push(`${name} is not a proxy URL such as http://proxy.example.com:3128, so it is not used.`);
    return url;
  };
  const https = read("https_proxy", "HTTPS_PROXY");
  const http = read("http_proxy", "HTTP_PROXY");
  const noProxy = (env.no_proxy || env.NO_PROXY || "").split(",").map((entry) => entry.trim()).filter(Boolean);
  if ((https || http) && !nodeSupportsProxyEnv(nodeVersion)) {
    problems.push(
      `A proxy is set, but this runner runs actions on Node.js ${nodeVersion}, whose HTTP agents cannot use one (that came with Node.js ${NODE_PROXY_SUPPORT}), so AWS calls go direct. Update the runner: current runners bring a newer Node.js 24.`
    );
  }
  return { https, http, noProxy, problems };
}
function proxyAgents(settings = readProxySettings(), nodeVersion = process.versions.node, { keepAlive = true } = {}) {
  if (!settings.https && !settings.http || !nodeSupportsProxyEnv(nodeVersion)) return {};
  const proxyEnv = {
    ...settings.https && { HTTPS_PROXY: settings.https.href },
    ...settings.http && { HTTP_PROXY: settings.http.href },
    NO_PROXY: nodeNoProxy(settings.noProxy)
  };
  const options = { keepAlive, maxSockets: 50, proxyEnv };
  return { httpAgent: new import_node_http.Agent(options), httpsAgent: new import_node_https.Agent(options) };
}
function withProxyCredentials(settings, credentials) {
  if (!credentials) return settings;
  const signed = (url) => {
    if (!url) return void 0;
    const copy = new URL(url.href);
    copy.username = encodeURIComponent(credentials.username);
    copy.password = encodeURIComponent(credentials.password);
    return copy;
  };
  return { ...settings, https: signed(settings.https), http: signed(settings.http) };
}
function describeProxy(settings) {
  const routes = [
    settings.https && `HTTPS through ${redact(settings.https)}`,
    settings.http && `HTTP through ${redact(settings.http)}`
  ].filter(Boolean);
  if (routes.length === 0) return void 0;
  const except = settings.noProxy.length > 0 ? `, except for NO_PROXY: ${settings.noProxy.join(", ")}` : "";
  return `AWS and GitHub calls go ${routes.join(" and ")}${except}.`;
}
function announceProxy(log, env = process.env) {
  const settings = readProxySettings(env);
  const route = describeProxy(settings);
  if (route) log.info(route);
  for (const problem of settings.problems) log.warning(problem);
}
function proxyCredentials(env = process.env) {
  const found = /* @__PURE__ */ new Set();
  for (const name of ["https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"]) {
    const url = parseProxyUrl(env[name]?.trim() ?? "");
    const secret = url?.password || url?.username;
    if (!secret) continue;
    found.add(secret);
    found.add(decodeURIComponent(secret));
  }
  return [...found];
}
function parseProxyUrl(value) {
  if (!value) return void 0;
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  try {
    const url = new URL(text);
    if (!(url.protocol === "http:" || url.protocol === "https:") || !url.hostname) return void 0;
    url.username = decodable(url.username);
    url.password = decodable(url.password);
    return url;
  } catch {
    return void 0;
  }
}
function decodable(text) {
  const strays = text.replace(/%(?![0-9A-Fa-f]{2})/g, "%25");
  try {
    decodeURIComponent(strays);
    return strays;
  } catch {
    return text.replace(/%/g, "%25");
  }
}
function redact(url) {
  const shown = new URL(url.href);
  shown.username = "";
  shown.password = "";
  return shown.href;
}
var LOOPBACK = ["localhost", "127.0.0.0-127.255.255.255", "::1", "[::1]"];
function nodeNoProxy(entries) {
  const rules = /* @__PURE__ */ new Set();
  for (const entry of entries.map((text) => text.toLowerCase())) {
    if (entry === "*" || /^[\d.]+\s*-\s*[\d.]+$/.test(entry) || /:\d+$/.test(entry)) {
      rules.add(entry);
      continue;
    }
    const domain = entry.replace(/^\*?\./, "");
    if (entry === domain) rules.add(domain);
    rules.add(`*.${domain}`);
  }
  for (const host of LOOPBACK) rules.add(host);
  return [...rules].join(",");
}

// src/portable/version.ts
var ACTION_NAME = "codepipeline-job-action";
var ACTION_VERSION = "0.1.0";

// src/portable/codepipeline.ts
var CodePipelineCallError = class extends Error {
  constructor(operation, cause, history) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.operation = operation;
    this.cause = cause;
    this.name = "CodePipelineCallError";
    this.attempts = history.attempts;
    this.earlierAnswerLost = history.earlierAnswerLost;
  }
  operation;
  cause;
  /** How many attempts the SDK made, retries included. */
  attempts;
  /** True when an earlier attempt may have reached CodePipeline but its answer never came back. */
  earlierAnswerLost;
  /**
   * True when the retry was refused with `code` only because an earlier
   * attempt, whose answer was lost, had already done the work.
   */
  landedEarlier(code) {
    return this.earlierAnswerLost && errorCode(this.cause) === code;
  }
};
var CodePipeline = class {
  constructor(settings, log, agents = proxyAgents()) {
    this.settings = settings;
    this.log = log;
    this.client = new import_client_codepipeline.CodePipelineClient({
      region: settings.region,
      maxAttempts: settings.maxAttempts,
      retryMode: "standard",
      customUserAgent: [[ACTION_NAME, ACTION_VERSION]],
      // Per attempt: a hung attempt must fail, and so be retried, well within the call's time.
      requestHandler: {
        connectionTimeout: 5e3,
        requestTimeout: attemptTimeoutMs(settings.timeoutSeconds),
        throwOnRequestTimeout: true,
        ...agents
      }
    });
    this.client.middlewareStack.add(
      (next) => async (args) => {
        try {
          return await next(args);
        } catch (error) {
          this.attemptErrors.push(error);
          throw error;
        }
      },
      { step: "deserialize", name: "recordAttemptErrors" }
    );
  }
  settings;
  log;
  client;
  attemptErrors = [];
  get region() {
    return this.client.config.region();
  }
  async putJobSuccessResult(input) {
    return (await this.send(
      "PutJobSuccessResult",
      (abortSignal) => this.client.send(new import_client_codepipeline.PutJobSuccessResultCommand(input), { abortSignal })
    )).result;
  }
  async putJobFailureResult(input) {
    return (await this.send(
      "PutJobFailureResult",
      (abortSignal) => this.client.send(new import_client_codepipeline.PutJobFailureResultCommand(input), { abortSignal })
    )).result;
  }
  /**
   * The bare AcknowledgeJob call; resolves the job's status. acknowledge() builds
   * on it and also tells a claim whose answer was lost from another worker's.
   */
  async acknowledgeJob(jobId, nonce) {
    return (await this.send(
      "AcknowledgeJob",
      (abortSignal) => this.client.send(new import_client_codepipeline.AcknowledgeJobCommand({ jobId, nonce }), { abortSignal })
    )).output.status;
  }
  async getJobDetails(jobId) {
    return (await this.send(
      "GetJobDetails",
      (abortSignal) => this.client.send(new import_client_codepipeline.GetJobDetailsCommand({ jobId }), { abortSignal })
    )).output.jobDetails;
  }
  async pollForJobs(input) {
    return (await this.send(
      "PollForJobs",
      (abortSignal) => this.client.send(new import_client_codepipeline.PollForJobsCommand(input), { abortSignal })
    )).output.jobs ?? [];
  }
  /** The custom action type with this ID, or undefined when the account has none. */
  async findCustomActionType(id) {
    let nextToken;
    do {
      const { output } = await this.send(
        "ListActionTypes",
        (abortSignal) => this.client.send(new import_client_codepipeline.ListActionTypesCommand({ actionOwnerFilter: "Custom", nextToken }), { abortSignal })
      );
      const found = output.actionTypes?.find(
        (type) => type.id?.category === id.category && type.id?.provider === id.provider && type.id?.version === id.version
      );
      if (found) return found;
      nextToken = output.nextToken;
    } while (nextToken);
    return void 0;
  }
  async send(operation, call) {
    this.attemptErrors.length = 0;
    this.log.debug(
      `Calling CodePipeline ${operation} (up to ${this.settings.maxAttempts} attempts, ${this.settings.timeoutSeconds} s)`
    );
    try {
      const output = await call(AbortSignal.timeout(this.settings.timeoutSeconds * 1e3));
      return { output, result: { attempts: output.$metadata.attempts ?? 1 } };
    } catch (error) {
      const earlier = this.attemptErrors.filter((seen) => seen !== error);
      for (const seen of earlier) this.log.debug(`${operation}: an earlier attempt failed: ${String(seen)}`);
      this.log.debug(`${operation} failed: ${String(error)}`);
      throw new CodePipelineCallError(operation, error, {
        attempts: Math.max(attemptsOf(error), this.attemptErrors.length),
        earlierAnswerLost: earlier.some(isAnswerLost)
      });
    }
  }
};
async function acknowledge(pipeline, jobId, nonce) {
  try {
    const status = await pipeline.acknowledgeJob(jobId, nonce);
    return { outcome: "claimed", status, answerLost: false };
  } catch (error) {
    if (!(error instanceof CodePipelineCallError)) throw error;
    if (error.landedEarlier("InvalidNonceException")) return { outcome: "claimed", status: void 0, answerLost: true };
    if (errorCode(error.cause) === "InvalidNonceException") return { outcome: "taken", refusal: error };
    throw error;
  }
}
function attemptTimeoutMs(timeoutSeconds) {
  return Math.min(3e4, Math.max(2e3, Math.floor(timeoutSeconds * 1e3 / 3)));
}
function attemptsOf(error) {
  const metadata = error?.$metadata;
  return metadata?.attempts ?? 1;
}

// src/portable/errors.ts
function errorMessage(error) {
  return error instanceof Error ? error.message : String(error);
}
function quote(value, max = 60) {
  const shown = value.length > max ? `${value.slice(0, max)}\u2026` : value;
  return JSON.stringify(shown);
}

// src/bridge/github-credentials.ts
var import_node_crypto = require("node:crypto");

// src/portable/limits.ts
var JOB_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
var OUTPUT_VARIABLE_NAME_PATTERN = /^[A-Za-z0-9@\-_]+$/;
var OUTPUT_VARIABLES_MAX_BYTES = 122880;
var LENGTH = {
  revision: { min: 1, max: 1500 },
  changeIdentifier: { min: 1, max: 100 },
  revisionSummary: { min: 1, max: 2048 },
  executionSummary: { min: 1, max: 2048 },
  externalExecutionId: { min: 1, max: 1500 },
  failureMessage: { min: 1, max: 5e3 },
  continuationToken: { min: 1, max: 2048 },
  nonce: { min: 1, max: 50 }
};
var ACTION_TYPE = {
  provider: { min: 1, max: 35 },
  version: { min: 1, max: 9 },
  /** What provider and version may hold. */
  pattern: /^[0-9A-Za-z_-]+$/
};
var ACTION_CATEGORIES = ["Source", "Build", "Deploy", "Test", "Invoke", "Approval", "Compute"];
var PERCENT_COMPLETE = { min: 0, max: 100 };
var FAILURE_TYPES = [
  "JobFailed",
  "ConfigurationError",
  "PermissionError",
  "RevisionOutOfSync",
  "RevisionUnavailable",
  "SystemUnavailable"
];
function lengthOf(text) {
  return text.length;
}
function isWithin(text, limit) {
  const length = lengthOf(text);
  return length >= limit.min && length <= limit.max;
}
var ELLIPSIS = "\u2026";
function truncate(text, max) {
  if (lengthOf(text) <= max) return text;
  let end = max - ELLIPSIS.length;
  const last = text.charCodeAt(end - 1);
  if (last >= 55296 && last <= 56319) end -= 1;
  return text.slice(0, end) + ELLIPSIS;
}
function utf8Bytes(text) {
  return Buffer.byteLength(text, "utf8");
}
function outputVariablesBytes(variables) {
  let total = 0;
  for (const [name, value] of Object.entries(variables)) total += utf8Bytes(name) + utf8Bytes(value);
  return total;
}
function requestProblems(request) {
  const problems = [];
  const length = (field, value, limit) => {
    if (value !== void 0 && !isWithin(value, limit)) {
      problems.push(`${field} must be ${limit.min}\u2013${limit.max} characters, but is ${lengthOf(value)}`);
    }
  };
  if (request.jobId === void 0 || !JOB_ID_PATTERN.test(request.jobId))
    problems.push("jobId must be a lowercase UUID");
  const revision = request.currentRevision;
  if (revision) {
    if (revision.revision === void 0) problems.push("currentRevision.revision is required");
    if (revision.changeIdentifier === void 0) problems.push("currentRevision.changeIdentifier is required");
    length("currentRevision.revision", revision.revision, LENGTH.revision);
    length("currentRevision.changeIdentifier", revision.changeIdentifier, LENGTH.changeIdentifier);
    length("currentRevision.revisionSummary", revision.revisionSummary, LENGTH.revisionSummary);
  }
  length("continuationToken", request.continuationToken, LENGTH.continuationToken);
  const details = request.executionDetails;
  if (details) {
    length("executionDetails.summary", details.summary, LENGTH.executionSummary);
    length("executionDetails.externalExecutionId", details.externalExecutionId, LENGTH.externalExecutionId);
    const percent = details.percentComplete;
    if (percent !== void 0 && (!Number.isInteger(percent) || percent < PERCENT_COMPLETE.min || percent > PERCENT_COMPLETE.max)) {
      problems.push(`executionDetails.percentComplete must be a whole number from 0 to 100, but is ${percent}`);
    }
  }
  const variables = request.outputVariables;
  if (variables) {
    if (request.continuationToken !== void 0) problems.push("outputVariables cannot go with a continuationToken");
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
      problems.push(`failureDetails.type must be one of ${FAILURE_TYPES.join(", ")}`);
    }
    if (failure.message === void 0) problems.push("failureDetails.message is required");
    length("failureDetails.message", failure.message, LENGTH.failureMessage);
    length("failureDetails.externalExecutionId", failure.externalExecutionId, LENGTH.externalExecutionId);
  }
  return problems;
}
var GITHUB_DISPATCH = {
  /** A user or organization login: letters, digits and single hyphens, at most 39. */
  owner: /^(?=.{1,39}$)[A-Za-z0-9](?:-?[A-Za-z0-9])*$/,
  /** A repository name. `.` and `..` are not names. */
  repo: /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,100}$/,
  /** The workflow's file name in .github/workflows, or its numeric ID. */
  workflow: /^(?:[A-Za-z0-9_.-]{1,250}\.ya?ml|[1-9][0-9]{0,18})$/,
  /** A branch or tag name, by git's rules for ref names, at most 255 characters. */
  ref: /^(?![/.])(?!.*(?:\.\.|\/\/|@\{|\/\.|\.lock(?:\/|$)))[^\0-\x20\x7f~^:?*[\\]{1,255}(?<![/.])$/
};

// src/bridge/github-request.ts
var REQUEST_TIMEOUT_MS = 1e4;
var API_VERSION = "2022-11-28";
var USER_AGENT = `codepipeline-github-bridge/${ACTION_VERSION}`;
var GitHubError = class extends Error {
  constructor(kind, request, githubMessage, status, retryAfterMs2) {
    super(`${request}: ${status !== void 0 ? `${status} ` : ""}${githubMessage}`);
    this.kind = kind;
    this.request = request;
    this.githubMessage = githubMessage;
    this.status = status;
    this.retryAfterMs = retryAfterMs2;
    this.name = "GitHubError";
  }
  kind;
  request;
  githubMessage;
  status;
  retryAfterMs;
  /** Worth asking again later. */
  get retryable() {
    return this.kind === "throttled" || this.kind === "unavailable" || this.kind === "unreachable" || this.kind === "lost";
  }
  /** The request may have been carried out even though no success came back. */
  get maybeDone() {
    return this.kind === "unavailable" || this.kind === "lost";
  }
  /** The status and GitHub's message, as a user reads it: `404 "Not Found"`. */
  get answer() {
    return this.status === void 0 ? this.githubMessage : `${this.status} ${JSON.stringify(this.githubMessage)}`;
  }
};
async function githubRequest(baseUrl, method, path2, authorization, body, fetcher, clock) {
  const request = `${method} ${path2}`;
  let response;
  let text;
  try {
    response = await fetcher(`${baseUrl}${path2}`, {
      method,
      headers: {
        accept: "application/vnd.github+json",
        authorization,
        "user-agent": USER_AGENT,
        "x-github-api-version": API_VERSION,
        ...body !== void 0 && { "content-type": "application/json" }
      },
      ...body !== void 0 && { body: JSON.stringify(body) },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)
    });
    text = await response.text();
  } catch (error) {
    const { code, message: message2 } = networkFailure(error);
    const kind = code !== void 0 && NOT_SENT_CODES.has(code) ? "unreachable" : "lost";
    throw new GitHubError(kind, request, message2);
  }
  let parsed;
  try {
    parsed = text === "" ? void 0 : JSON.parse(text);
  } catch {
    parsed = text;
  }
  if (response.ok) return { status: response.status, body: parsed, next: nextPage(response, baseUrl) };
  const message = truncate(
    typeof parsed === "object" && parsed !== null && typeof parsed.message === "string" ? parsed.message : response.statusText || "no message",
    1e3
  );
  throw new GitHubError(
    classify(response, message),
    request,
    message,
    response.status,
    retryAfterMs(response, clock.now())
  );
}
function nextPage(response, baseUrl) {
  const next = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get("link") ?? "")?.[1];
  return next?.startsWith(`${baseUrl}/`) ? next.slice(baseUrl.length) : void 0;
}
function classify(response, message) {
  const { status } = response;
  if (status === 401) return "unauthorized";
  if (status === 429) return "throttled";
  if (status === 403 && (response.headers.get("x-ratelimit-remaining") === "0" || /rate limit/i.test(message)))
    return "throttled";
  if (status >= 500) return "unavailable";
  return "refused";
}
function retryAfterMs(response, now) {
  const after = Number(response.headers.get("retry-after"));
  if (after > 0) return after * 1e3;
  const reset = Number(response.headers.get("x-ratelimit-reset"));
  if (reset > 0 && response.headers.get("x-ratelimit-remaining") === "0") return Math.max(0, reset * 1e3 - now);
  return void 0;
}
function networkFailure(error) {
  let seen = error;
  for (let depth = 0; seen instanceof Error && depth < 4; depth++) {
    const errno = seen.code;
    const code = typeof errno === "string" ? errno : ["TimeoutError", "AbortError"].includes(seen.name) ? seen.name : void 0;
    if (code !== void 0)
      return { code, message: seen.message.includes(code) ? seen.message : `${code}: ${seen.message}` };
    if (!(seen.cause instanceof Error)) break;
    seen = seen.cause;
  }
  return { message: (seen instanceof Error ? seen.message : String(seen)) || "no answer" };
}

// src/bridge/http.ts
var import_node_http2 = require("node:http");
var import_node_https2 = require("node:https");
var MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
var NO_BODY = /* @__PURE__ */ new Set([204, 205, 304]);
var REDIRECTS = /* @__PURE__ */ new Set([301, 302, 303, 307, 308]);
var MAX_REDIRECTS = 20;
var IDEMPOTENT = /* @__PURE__ */ new Set(["GET", "HEAD"]);
function agentFetch(agents = proxyAgents(), freshAgents = proxyAgents(void 0, void 0, { keepAlive: false })) {
  return async (input, init = {}) => {
    if (typeof input !== "string" && !(input instanceof URL))
      throw new TypeError("agentFetch takes a URL, not a Request");
    if (init.body !== void 0 && init.body !== null && typeof init.body !== "string")
      throw new TypeError("agentFetch sends text bodies only");
    let exchange = {
      url: new URL(input),
      method: init.method ?? "GET",
      headers: Object.fromEntries(new Headers(init.headers).entries()),
      ...init.body && { body: init.body },
      ...init.signal && { signal: init.signal }
    };
    for (let redirects = 0; ; redirects++) {
      const response = await send(exchange, agents, freshAgents);
      const location = response.headers.get("location");
      if (!REDIRECTS.has(response.status) || location === null) return response;
      if (redirects === MAX_REDIRECTS)
        throw new TypeError(`more than ${MAX_REDIRECTS} redirects from ${input.toString()}`);
      exchange = redirected(exchange, response.status, new URL(location, exchange.url));
    }
  };
}
function redirected(exchange, status, url) {
  const headers = { ...exchange.headers };
  if (url.origin !== exchange.url.origin) delete headers.authorization;
  const becomesGet = status === 303 ? exchange.method !== "HEAD" : exchange.method === "POST" && status !== 307 && status !== 308;
  if (!becomesGet) return { ...exchange, url, headers };
  delete headers["content-type"];
  return { url, method: "GET", headers, ...exchange.signal && { signal: exchange.signal } };
}
async function send(exchange, agents, freshAgents) {
  if (!IDEMPOTENT.has(exchange.method)) return sendOnce(exchange, freshAgents, false);
  try {
    return await sendOnce(exchange, agents);
  } catch (error) {
    if (!(error instanceof StaleConnection)) throw error;
    return sendOnce(exchange, freshAgents, false);
  }
}
var StaleConnection = class extends Error {
};
function sendOnce({ url, method, headers, body, signal }, agents, reuse = true) {
  const secure = url.protocol === "https:";
  return new Promise((resolve, reject) => {
    let answered = false;
    const fail = (error) => reject(signal?.aborted ? signal.reason : error);
    const request = (secure ? import_node_https2.request : import_node_http2.request)(
      url,
      {
        method,
        headers,
        // Without a proxy agent: the global one, which keeps connections alive, or a one-off (false).
        agent: (secure ? agents.httpsAgent : agents.httpAgent) ?? (reuse ? void 0 : false),
        ...signal && { signal }
      },
      (answer) => {
        answered = true;
        void readAnswer(answer).then(resolve, fail);
      }
    );
    request.on("error", (error) => {
      const stale = request.reusedSocket && !answered && (error.code === "ECONNRESET" || error.code === "EPIPE");
      if (stale && !signal?.aborted) reject(new StaleConnection(error.message, { cause: error }));
      else fail(error);
    });
    request.end(body);
  });
}
async function readAnswer(answer) {
  const chunks = [];
  let size = 0;
  for await (const chunk of answer) {
    size += chunk.length;
    if (size > MAX_RESPONSE_BYTES) {
      answer.destroy();
      throw Object.assign(new Error(`the answer is larger than ${MAX_RESPONSE_BYTES} bytes`), {
        code: "ERESPONSETOOLARGE"
      });
    }
    chunks.push(chunk);
  }
  const headers = new Headers();
  for (let index = 0; index + 1 < answer.rawHeaders.length; index += 2) {
    const [name, value] = answer.rawHeaders.slice(index, index + 2);
    if (name !== void 0 && value !== void 0) headers.append(name, value);
  }
  const status = answer.statusCode ?? 502;
  return new Response(NO_BODY.has(status) ? null : Buffer.concat(chunks), {
    status,
    statusText: answer.statusMessage ?? "",
    headers
  });
}

// src/bridge/github-credentials.ts
var CredentialsError = class extends Error {
  constructor(message, retryable) {
    super(message);
    this.retryable = retryable;
    this.name = "CredentialsError";
  }
  retryable;
};
var SECRET_FORMAT = 'It must hold a fine-grained token, as plain text or as {"token": "..."}, or a GitHub App as {"appId": "123", "privateKey": "-----BEGIN RSA PRIVATE KEY-----..."}';
function parseCredentials(text) {
  const trimmed = text.trim();
  if (!trimmed.startsWith("{")) {
    if (/^[\x21-\x7e]{20,}$/.test(trimmed)) return { kind: "token", token: trimmed };
    throw new CredentialsError(`The GitHub credentials secret holds no usable token. ${SECRET_FORMAT}.`, false);
  }
  let value;
  try {
    value = JSON.parse(trimmed);
  } catch {
    throw new CredentialsError(`The GitHub credentials secret is not valid JSON. ${SECRET_FORMAT}.`, false);
  }
  const fields = value;
  if (typeof fields.token === "string" && fields.token.trim() !== "")
    return { kind: "token", token: fields.token.trim() };
  const appId = typeof fields.appId === "number" ? String(fields.appId) : fields.appId;
  if (typeof appId !== "string" || !/^\d+$|^Iv[0-9A-Za-z.]+$/.test(appId) || typeof fields.privateKey !== "string") {
    throw new CredentialsError(
      `The GitHub credentials secret has neither "token" nor "appId" and "privateKey". ${SECRET_FORMAT}.`,
      false
    );
  }
  try {
    const privateKey = (0, import_node_crypto.createPrivateKey)(fields.privateKey.replace(/\\n/g, "\n"));
    if (privateKey.asymmetricKeyType !== "rsa") throw new Error("not an RSA key");
    return { kind: "app", appId, privateKey };
  } catch {
    throw new CredentialsError(
      'The "privateKey" in the GitHub credentials secret is not an RSA private key in PEM form: paste the .pem file GitHub gave for the App, newlines included.',
      false
    );
  }
}
var base64url = (data) => Buffer.from(data).toString("base64url");
function appJwt(appId, privateKey, now) {
  const issuedAt = Math.floor(now / 1e3) - 30;
  const unsigned = `${base64url(JSON.stringify({ alg: "RS256", typ: "JWT" }))}.${base64url(
    JSON.stringify({ iat: issuedAt, exp: issuedAt + 540, iss: appId })
  )}`;
  return `${unsigned}.${(0, import_node_crypto.createSign)("RSA-SHA256").update(unsigned).sign(privateKey, "base64url")}`;
}
var TOKEN_MARGIN_MS = 5 * 6e4;
var SECRET_MAX_AGE_MS = 15 * 6e4;
var REFUSED_RECHECK_MS = 6e4;
var SecretTokens = class {
  constructor(readSecret2, apiUrl, log, clock, fetcher = agentFetch()) {
    this.readSecret = readSecret2;
    this.apiUrl = apiUrl;
    this.log = log;
    this.clock = clock;
    this.fetcher = fetcher;
  }
  readSecret;
  apiUrl;
  log;
  clock;
  fetcher;
  credentials;
  installations = /* @__PURE__ */ new Map();
  installationTokens = /* @__PURE__ */ new Map();
  /** Tokens being minted, so that jobs of one repository started together share one. */
  minting = /* @__PURE__ */ new Map();
  refused = /* @__PURE__ */ new Map();
  async token(owner, repo) {
    const credentials = await this.load();
    if (credentials.kind === "token") return credentials.token;
    const key = repoKey(owner, repo);
    const cached = this.installationTokens.get(key);
    if (cached && cached.expiresAt - TOKEN_MARGIN_MS > this.clock.now()) return cached.token;
    let minting = this.minting.get(key);
    if (minting === void 0) {
      minting = this.mintOrRecheck(credentials, owner, repo).finally(() => this.minting.delete(key));
      this.minting.set(key, minting);
    }
    const minted = await minting;
    this.installationTokens.set(key, minted);
    return minted.token;
  }
  async refresh(owner, repo, failed2) {
    const key = repoKey(owner, repo);
    const cached = this.installationTokens.get(key);
    if (cached !== void 0) {
      if (cached.token === failed2) this.installationTokens.delete(key);
      return true;
    }
    if (!this.mayRecheck(failed2)) return false;
    const credentials = await this.load(true);
    return credentials.kind === "app" || credentials.token !== failed2;
  }
  /** True at most once a minute for each refused credential, so that a bad secret is not read on every job. */
  mayRecheck(refused) {
    const checkedAt = this.refused.get(refused);
    if (checkedAt !== void 0 && this.clock.now() - checkedAt < REFUSED_RECHECK_MS) return false;
    this.refused.set(refused, this.clock.now());
    return true;
  }
  /** The secret, read once per container and again when old or when GitHub refused what it held. */
  async load(fresh = false) {
    const now = this.clock.now();
    if (fresh || !this.credentials || now - this.credentials.readAt > SECRET_MAX_AGE_MS) {
      const value = this.readSecret().then((text) => {
        this.log.secret(text);
        this.log.secret(text.replace(/\\n/g, "\n"));
        const parsed = parseCredentials(text);
        if (parsed.kind === "token") this.log.secret(parsed.token);
        return parsed;
      });
      this.credentials = { value, readAt: now };
      void value.catch(() => {
        if (this.credentials?.value === value) this.credentials = void 0;
      });
    }
    return this.credentials.value;
  }
  async mintOrRecheck(credentials, owner, repo) {
    try {
      return await this.mint(credentials, owner, repo);
    } catch (error) {
      if (!(error instanceof GitHubError && error.kind === "unauthorized") || !this.mayRecheck("app-key")) throw error;
      const fresh = await this.load(true);
      if (fresh.kind !== "app") throw error;
      return this.mint(fresh, owner, repo);
    }
  }
  async mint(credentials, owner, repo) {
    const jwt = `Bearer ${appJwt(credentials.appId, credentials.privateKey, this.clock.now())}`;
    const key = repoKey(owner, repo);
    const installation = this.installations.get(key) ?? await this.findInstallation(owner, repo, jwt);
    this.installations.set(key, installation);
    try {
      const { body } = await githubRequest(
        this.apiUrl,
        "POST",
        `/app/installations/${installation}/access_tokens`,
        jwt,
        // Metadata is what every App may read; actions: write starts, reads and cancels runs.
        { repositories: [repo], permissions: { actions: "write", metadata: "read" } },
        this.fetcher,
        this.clock
      );
      const { token, expires_at } = body ?? {};
      if (typeof token !== "string" || token === "")
        throw new GitHubError(
          "refused",
          `POST /app/installations/${installation}/access_tokens`,
          "the answer has no token"
        );
      this.log.secret(token);
      const expiresAt = typeof expires_at === "string" ? Date.parse(expires_at) : Number.NaN;
      this.log.debug("Got an installation token", {
        repository: `${owner}/${repo}`,
        installation,
        expiresAt: expires_at
      });
      return { token, expiresAt: Number.isNaN(expiresAt) ? this.clock.now() + 60 * 6e4 : expiresAt };
    } catch (error) {
      if (error instanceof GitHubError && error.status === 404) this.installations.delete(key);
      throw error;
    }
  }
  async findInstallation(owner, repo, jwt) {
    const { body } = await githubRequest(
      this.apiUrl,
      "GET",
      `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/installation`,
      jwt,
      void 0,
      this.fetcher,
      this.clock
    );
    const installation = body?.id;
    if (typeof installation !== "number")
      throw new GitHubError("refused", `GET /repos/${owner}/${repo}/installation`, "the answer has no installation id");
    return installation;
  }
};
function repoKey(owner, repo) {
  return `${owner}/${repo}`.toLowerCase();
}

// src/bridge/sweep-schedule.ts
var import_client_scheduler = require("@aws-sdk/client-scheduler");
var SWEEP_EVENT = { bridge: "sweep" };
var LEASE_MS = 15 * 6e4;
var RENEW_WHEN_LEFT_MS = 10 * 6e4;
var SweepSchedule = class {
  constructor(scheduler, settings, log, clock) {
    this.scheduler = scheduler;
    this.settings = settings;
    this.log = log;
    this.clock = clock;
  }
  scheduler;
  settings;
  log;
  clock;
  /** How far this container last saw the lease reach; it does not ask again before it must. */
  knownUntil = 0;
  /** Makes sure the sweep runs for at least ten more minutes. */
  async ensure() {
    if (this.knownUntil - this.clock.now() > RENEW_WHEN_LEFT_MS) return;
    const { Name, GroupName } = { Name: this.settings.scheduleName, GroupName: this.settings.groupName };
    const schedule = await this.scheduler.send(new import_client_scheduler.GetScheduleCommand({ Name, GroupName }));
    const now = this.clock.now();
    const end = schedule.EndDate?.getTime();
    if (schedule.State === "ENABLED" && end !== void 0 && end - now > RENEW_WHEN_LEFT_MS) {
      this.knownUntil = end;
      return;
    }
    if (!schedule.Target?.Arn || !schedule.Target.RoleArn)
      throw new Error(`The sweep schedule ${Name} has no target: deploy the stack again to restore it`);
    const until = new Date(now + LEASE_MS);
    await this.scheduler.send(
      new import_client_scheduler.UpdateScheduleCommand({
        Name,
        GroupName,
        ScheduleExpression: "rate(1 minute)",
        FlexibleTimeWindow: { Mode: "OFF" },
        State: "ENABLED",
        EndDate: until,
        Target: {
          Arn: schedule.Target.Arn,
          RoleArn: schedule.Target.RoleArn,
          Input: JSON.stringify(SWEEP_EVENT),
          // The next minute's sweep is the retry.
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 }
        }
      })
    );
    this.knownUntil = until.getTime();
    this.log.info("The sweep runs every minute until its lease ends", { leaseEnds: until.toISOString() });
  }
};

// src/bridge/trigger.ts
var STATE_CHANGE = "CodePipeline Action Execution State Change";
var STATES = ["STARTED", "SUCCEEDED", "FAILED", "CANCELED", "ABANDONED"];
function readTrigger(event, actionType) {
  const given = typeof event === "object" && event !== null ? event : {};
  if (given.bridge === SWEEP_EVENT.bridge) return { kind: "sweep" };
  if (given.source !== "aws.codepipeline" || given["detail-type"] !== STATE_CHANGE)
    return { kind: "ignored", reason: "not a CodePipeline action execution state change" };
  const detail = given.detail ?? {};
  const type = detail.type ?? {};
  if (type.owner !== actionType.owner || type.category !== actionType.category || type.provider !== actionType.provider || String(type.version) !== actionType.version) {
    return { kind: "ignored", reason: "an action of another type" };
  }
  const state = STATES.find((known) => known === detail.state);
  const text = (name) => {
    const value = detail[name];
    return typeof value === "string" ? value : "";
  };
  const actionExecutionId = text("action-execution-id");
  if (state === void 0 || actionExecutionId === "")
    return { kind: "ignored", reason: `state ${String(detail.state)} or no action execution ID` };
  return {
    kind: "action",
    state,
    actionExecutionId,
    place: {
      pipeline: text("pipeline"),
      executionId: text("execution-id"),
      stage: text("stage"),
      action: text("action")
    }
  };
}

// src/bridge/github.ts
var READ_ATTEMPTS = 3;
var RUN_PAGES = 10;
function isWorkflowRun(value) {
  if (typeof value !== "object" || value === null) return false;
  const run = value;
  return typeof run.id === "number" && typeof run.status === "string" && (typeof run.conclusion === "string" || run.conclusion === null || run.conclusion === void 0) && typeof run.html_url === "string" && (typeof run.display_title === "string" || run.display_title === void 0) && typeof run.created_at === "string" && !Number.isNaN(Date.parse(run.created_at));
}
var GitHubApi = class {
  constructor(baseUrl, tokens, log, clock, fetcher = agentFetch()) {
    this.baseUrl = baseUrl;
    this.tokens = tokens;
    this.log = log;
    this.clock = clock;
    this.fetcher = fetcher;
  }
  baseUrl;
  tokens;
  log;
  clock;
  fetcher;
  defaultBranches = /* @__PURE__ */ new Map();
  /** Whether the server returns the run of a dispatch; false once it refused to. */
  runDetails = true;
  /** Gets a token for the repository ready, so that a request that follows cannot fail for want of one. */
  async authorize(owner, repo) {
    await this.tokens.token(owner, repo);
  }
  /** The repository's default branch, kept for five minutes; jobs asking together share one request. */
  async defaultBranch(owner, repo) {
    const key = `${owner}/${repo}`.toLowerCase();
    const known = this.defaultBranches.get(key);
    if (known && known.until > this.clock.now()) return known.branch;
    const branch = this.readDefaultBranch(owner, repo);
    this.defaultBranches.set(key, { branch, until: this.clock.now() + 5 * 6e4 });
    void branch.catch(() => this.defaultBranches.delete(key));
    return branch;
  }
  async readDefaultBranch(owner, repo) {
    const { body } = await this.read(owner, repo, `/repos/${path(owner)}/${path(repo)}`);
    const branch = body?.default_branch;
    if (typeof branch !== "string" || branch === "")
      throw new GitHubError("refused", `GET /repos/${owner}/${repo}`, "the answer has no default_branch");
    return branch;
  }
  /**
   * Starts a run of the workflow with the job's ID as its `job-id` input,
   * asking for the run's ID and URL. GitHub Enterprise Server up to 3.20
   * refuses to be asked, and has nothing started: from then on this
   * container dispatches without asking, and the run is found by its name.
   */
  async dispatch(target, ref, jobId) {
    if (this.runDetails) {
      try {
        return await this.dispatchOnce(target, ref, jobId, true);
      } catch (error) {
        if (!(error instanceof GitHubError && error.kind === "refused" && /return_run_details/.test(error.githubMessage)))
          throw error;
        this.runDetails = false;
        this.log.info(
          "GitHub does not return the run of a dispatch (GitHub Enterprise Server 3.20 or older): runs are found by their name"
        );
      }
    }
    return this.dispatchOnce(target, ref, jobId, false);
  }
  async dispatchOnce(target, ref, jobId, withRunDetails) {
    const { status, body } = await this.send(target.owner, target.repo, "POST", `${workflowPath(target)}/dispatches`, {
      ref,
      inputs: { "job-id": jobId },
      ...withRunDetails && { return_run_details: true }
    });
    const details = body;
    if (status === 200 && typeof details?.workflow_run_id === "number") {
      return {
        runId: details.workflow_run_id,
        ...typeof details.html_url === "string" && { htmlUrl: details.html_url }
      };
    }
    return {};
  }
  /**
   * The workflow's dispatched runs created since `since`, newest first:
   * page after page until one reaches back past `since`, at most RUN_PAGES.
   */
  async recentRuns(target, since) {
    const created = new Date(since).toISOString().replace(/\.\d{3}Z$/, "Z");
    const query = `event=workflow_dispatch&per_page=100&created=${encodeURIComponent(`>=${created}`)}`;
    const runs = [];
    let url = `${workflowPath(target)}/runs?${query}`;
    for (let page = 0; url !== void 0 && page < RUN_PAGES; page++) {
      const { body, next } = await this.read(target.owner, target.repo, url);
      const listed = body?.workflow_runs;
      const page2 = Array.isArray(listed) ? listed.filter(isWorkflowRun) : [];
      if (page2.length === 0) break;
      runs.push(...page2);
      const oldest = Date.parse(page2.at(-1)?.created_at ?? "");
      url = oldest >= since ? next : void 0;
    }
    return runs;
  }
  async run(owner, repo, runId) {
    const request = `/repos/${path(owner)}/${path(repo)}/actions/runs/${runId}`;
    const { body } = await this.read(owner, repo, request);
    if (!isWorkflowRun(body)) throw new GitHubError("unavailable", `GET ${request}`, "the answer is not a workflow run");
    return body;
  }
  /** Asks GitHub to cancel the run; false when it has already finished (409). */
  async cancel(owner, repo, runId) {
    try {
      await this.send(owner, repo, "POST", `/repos/${path(owner)}/${path(repo)}/actions/runs/${runId}/cancel`);
      return true;
    } catch (error) {
      if (error instanceof GitHubError && error.status === 409) return false;
      throw error;
    }
  }
  /** A read, tried again within the invocation on a passing failure. */
  async read(owner, repo, url) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.send(owner, repo, "GET", url);
      } catch (error) {
        if (!(error instanceof GitHubError) || !error.retryable || attempt >= READ_ATTEMPTS) throw error;
        const delay = Math.min(error.retryAfterMs ?? 500 * 2 ** attempt, 5e3);
        this.log.debug(`GitHub: ${error.message}; trying again in ${delay} ms`);
        await this.clock.sleep(delay);
      }
    }
  }
  /** One request with the repository's token; after a 401, once more with a fresh one. */
  async send(owner, repo, method, url, body) {
    const sendWith = (token2) => githubRequest(this.baseUrl, method, url, `Bearer ${token2}`, body, this.fetcher, this.clock);
    const token = await this.tokens.token(owner, repo);
    try {
      return await sendWith(token);
    } catch (error) {
      if (!(error instanceof GitHubError && error.kind === "unauthorized")) throw error;
      if (!await this.tokens.refresh(owner, repo, token)) throw error;
      this.log.info("GitHub refused the token; trying once more with a fresh one", { repository: `${owner}/${repo}` });
      return sendWith(await this.tokens.token(owner, repo));
    }
  }
};
function path(segment) {
  return encodeURIComponent(segment);
}
function workflowPath(target) {
  return `/repos/${path(target.owner)}/${path(target.repo)}/actions/workflows/${path(target.workflow)}`;
}

// src/bridge/target.ts
var PROPERTIES = { owner: "Owner", repo: "Repo", workflow: "Workflow", branch: "Branch" };
var AllowedRepos = class _AllowedRepos {
  constructor(entries) {
    this.entries = entries;
  }
  entries;
  /** Throws with every bad entry named. */
  static parse(text) {
    const entries = text.split(/[\s,]+/).map((entry) => entry.trim().toLowerCase()).filter((entry) => entry !== "");
    const bad = entries.filter((entry) => {
      const [owner = "", repo = "", ...rest] = entry.split("/");
      return rest.length > 0 || !GITHUB_DISPATCH.owner.test(owner) || repo !== "*" && !GITHUB_DISPATCH.repo.test(repo);
    });
    if (entries.length === 0) throw new Error("AllowedRepos is empty: list the repositories as owner/repo or owner/*");
    if (bad.length > 0) {
      throw new Error(
        `AllowedRepos has entries that are not owner/repo or owner/*: ${bad.map((entry) => quote(entry)).join(", ")}`
      );
    }
    return new _AllowedRepos(entries);
  }
  allows(owner, repo) {
    const wanted = `${owner}/${repo}`.toLowerCase();
    return this.entries.some((entry) => entry === wanted || entry === `${owner.toLowerCase()}/*`);
  }
  toString() {
    return this.entries.join(", ");
  }
};
function readTarget(configuration, allowed) {
  const config = configuration ?? {};
  const problems = [];
  const read = (name, pattern, rule, required) => {
    const value = config[name]?.trim();
    if (value === void 0 || value === "") {
      if (required) problems.push(`${name} is required: ${rule}`);
      return void 0;
    }
    if (!pattern.test(value)) {
      problems.push(`${name} ${quote(value)} is not ${rule}`);
      return void 0;
    }
    return value;
  };
  const owner = read(PROPERTIES.owner, GITHUB_DISPATCH.owner, "a GitHub user or organization name", true);
  const repo = read(PROPERTIES.repo, GITHUB_DISPATCH.repo, "a repository name, such as app", true);
  const workflow = read(
    PROPERTIES.workflow,
    GITHUB_DISPATCH.workflow,
    "the file name of a workflow in .github/workflows, such as build.yml, or its numeric ID",
    true
  );
  const branch = read(PROPERTIES.branch, GITHUB_DISPATCH.ref, "a branch or tag name, such as main", false);
  if (owner !== void 0 && repo !== void 0 && !allowed.allows(owner, repo)) {
    problems.push(
      `${owner}/${repo} is not in the bridge's AllowedRepos (${allowed.toString()}): add it to the stack's AllowedRepos parameter, or correct Owner and Repo`
    );
  }
  if (problems.length > 0 || owner === void 0 || repo === void 0 || workflow === void 0) return { problems };
  return { target: { owner, repo, workflow, ...branch !== void 0 && { branch } } };
}
function describeTarget(target) {
  return `workflow ${target.workflow} in ${target.owner}/${target.repo}`;
}
function runsPage(apiUrl, target, ref) {
  const site = apiUrl.replace("//api.", "//").replace(/\/api\/v3$/, "");
  const query = encodeURIComponent(`event:workflow_dispatch${ref ? ` branch:${ref}` : ""}`);
  return `${site}/${target.owner}/${target.repo}/actions/workflows/${encodeURIComponent(target.workflow)}?query=${query}`;
}

// src/bridge/outcomes.ts
function outcome(type, message) {
  return { type, message: truncate(message, LENGTH.failureMessage.max) };
}
var minutes = (ms) => {
  const value = Math.round(ms / 6e4);
  return value >= 1 ? `${value} minute${value === 1 ? "" : "s"}` : `${Math.round(ms / 1e3)} seconds`;
};
function configurationOutcome(problems) {
  return outcome(
    "ConfigurationError",
    `The action's configuration cannot start a GitHub workflow: ${problems.join("; ")}. Fix the action in the pipeline, then retry the stage.`
  );
}
function credentialsOutcome(error, secretId) {
  return outcome(
    "ConfigurationError",
    `The bridge cannot use its GitHub credentials (secret ${secretId}): ${error.message} Update the secret, then retry the stage.`
  );
}
function unprocessable(message, target, ref) {
  if (/unexpected inputs/i.test(message))
    return "Declare the input the bridge passes: under on.workflow_dispatch.inputs, add 'job-id' (required: true), and no other required inputs.";
  if (/disabled/i.test(message)) return `Enable the workflow in the repository's Actions tab.`;
  if (/workflow_dispatch/i.test(message))
    return `Add a workflow_dispatch trigger with a 'job-id' input to ${target.workflow}, on the default branch and on ${ref ?? "the branch that runs"}.`;
  if (/ref|branch/i.test(message))
    return `Set Branch to a branch or tag that exists in ${target.owner}/${target.repo}, or leave it empty for the default branch.`;
  return `Check that ${target.workflow} has a workflow_dispatch trigger with a 'job-id' input, is enabled, and that the branch exists.`;
}
function refusedOutcome(error, target, ref, secretId) {
  const what = `${describeTarget(target)}${ref ? ` on ${ref}` : ""}`;
  const said = `GitHub answered ${error.answer} to ${error.request}`;
  if (/\/installation$/.test(error.request) && error.status === 404) {
    return outcome(
      "ConfigurationError",
      `The bridge's GitHub App is not installed on ${target.owner}/${target.repo} (${said}). Install the App on the repository, with the Actions permission (read and write), then retry the stage.`
    );
  }
  if (error.kind === "unauthorized") {
    return outcome(
      "PermissionError",
      `GitHub refused the bridge's credentials (${said}), also after the secret was read again: the token has expired or was revoked, or the App's key is not valid. Put a valid fine-grained token, or the App's ID and a current private key, in secret ${secretId}, then retry the stage.`
    );
  }
  if (error.status === 403 || /\/access_tokens$/.test(error.request)) {
    return outcome(
      "PermissionError",
      `GitHub did not let the bridge start ${what} (${said}). Give the GitHub App, or the fine-grained token, the repository permission Actions: read and write on ${target.owner}/${target.repo}, then retry the stage.`
    );
  }
  if (error.status === 404) {
    return outcome(
      "ConfigurationError",
      `GitHub cannot find ${what} (${said}): either the workflow file is not on the repository's default branch, or the bridge's credentials cannot see ${target.owner}/${target.repo}. Check Workflow (the file name in .github/workflows, such as build.yml), Owner and Repo, and that the GitHub App is installed on the repository or the token can reach it.`
    );
  }
  if (error.status === 422 || error.status === 400) {
    return outcome(
      "ConfigurationError",
      `GitHub refused to start ${what} (${said}). ${unprocessable(error.githubMessage, target, ref)}`
    );
  }
  return outcome("ConfigurationError", `GitHub refused to start ${what} (${said}).`);
}
function unavailableOutcome(target, lastError, windowMs) {
  return outcome(
    "SystemUnavailable",
    `GitHub did not start ${describeTarget(target)} within ${minutes(windowMs)} of trying${lastError ? ` (last: ${lastError})` : ""}. Retry the stage once GitHub is reachable again; https://www.githubstatus.com shows GitHub's own incidents.`
  );
}
function queuedTooLongOutcome(run, queuedMs, timeoutMs) {
  return outcome(
    "SystemUnavailable",
    `The workflow run ${run.html_url} waited ${minutes(queuedMs)} for a runner, over the bridge's queue timeout of ${minutes(timeoutMs)}, so it was cancelled. Check that a runner with the labels in the workflow's runs-on is online, then retry the stage.`
  );
}
var RUN_NAME_FIX = "Give the workflow run-name: 'CodePipeline ${{ inputs.job-id }}', as examples/workflows/dispatch-build-and-report.yml does";
function noRunOutcome(target, jobId, waitedMs, runsPage2, accepted) {
  return outcome(
    "SystemUnavailable",
    `GitHub ${accepted ? "accepted" : "gave no answer to"} the request to start ${describeTarget(target)}, and no run named for job ${jobId} appeared within ${minutes(waitedMs)}. A run may still have started (see ${runsPage2}); none is started again. ${RUN_NAME_FIX}, then retry the stage.`
  );
}
function unnamedRunWarning(run) {
  return truncate(
    `The workflow run ${run.html_url} is named ${quote(run.display_title ?? "", 100)}, without the job ID, so a lost dispatch answer would leave it unfound. ${RUN_NAME_FIX}.`,
    1e3
  );
}
function withWarning(told, warning) {
  if (!warning) return told;
  return outcome(told.type, `${truncate(told.message, LENGTH.failureMessage.max - warning.length - 1)} ${warning}`);
}
var ENDINGS = {
  failure: "failed",
  cancelled: "was cancelled",
  timed_out: "timed out",
  startup_failure: "could not start (startup_failure: check the workflow file for errors)",
  action_required: "is waiting for approval to run (action_required)",
  stale: "went stale",
  skipped: "was skipped",
  neutral: "ended neutral"
};
function runEndedOutcome(run, jobId) {
  const conclusion = run.conclusion ?? "unknown";
  if (conclusion === "success") {
    return outcome(
      "JobFailed",
      `The workflow run ${run.html_url} succeeded but did not report to CodePipeline. End the workflow with the reporting action, with if: always() and job-id: \${{ inputs.job-id }}, so that it reports job ${jobId}.`
    );
  }
  return outcome(
    "JobFailed",
    `The workflow run ${run.html_url} ${ENDINGS[conclusion] ?? `ended with conclusion ${conclusion}`} before it reported to CodePipeline (conclusion: ${conclusion}).`
  );
}
function runGoneOutcome(runUrl, runId) {
  return outcome(
    "JobFailed",
    `The workflow run ${runUrl ?? String(runId)} no longer exists on GitHub (it was deleted), and it never reported to CodePipeline.`
  );
}
function runUnreadableOutcome(error, target, run) {
  return outcome(
    "PermissionError",
    `GitHub did not let the bridge read the workflow run ${run} (${error.answer} to ${error.request}). Give the GitHub App or token the repository permission Actions: read on ${target.owner}/${target.repo}, then retry the stage.`
  );
}
function runUnwatchedOutcome(run, takenMs, lastError) {
  return outcome(
    "SystemUnavailable",
    `The bridge could not read the workflow run ${run} for ${Math.round(takenMs / 36e5)} hours (last: ${lastError}), and the run did not report. Check the run, then retry the stage if needed.`
  );
}

// src/bridge/record.ts
var EXPECT_MS = 10 * 6e4;
function dispatchGraceMs(timing) {
  return Math.min(2 * 6e4, timing.retryWindowMs / 4);
}
function backoffMs(attempts, timing, random, retryAfterMs2) {
  const ceiling = Math.min(timing.retryWindowMs / 4, 2e4 * 2 ** Math.max(0, attempts - 1));
  const jittered = ceiling / 2 + ceiling / 2 * random;
  return Math.min(timing.retryWindowMs, Math.max(jittered, retryAfterMs2 ?? 0));
}
function failedAttempt(record, message, now) {
  return { attempts: (record.attempts ?? 0) + 1, firstFailureAt: record.firstFailureAt ?? now, lastError: message };
}
function retryWindowPassed(firstFailureAt, now, timing) {
  return now - firstFailureAt >= timing.retryWindowMs;
}
function nextStep(record, now) {
  if (record.phase === "closed") return { kind: "wait" };
  if (record.phase === "unreadable") return { kind: "discard", record };
  if (record.stopped) return { kind: "stop", record };
  switch (record.phase) {
    case "decided":
      return { kind: "deliver", record };
    case "expected":
      return now - record.createdAt > EXPECT_MS ? { kind: "forget", record } : { kind: "wait" };
    case "dispatching":
      if (record.dispatchSentAt !== void 0) return { kind: "find-run", record };
      return waitFor(record.nextAttemptAt, now) ?? { kind: "dispatch", record };
    case "running": {
      const { nonce, runId } = record;
      if (!record.acknowledged && nonce !== void 0) return { kind: "acknowledge", record: { ...record, nonce } };
      if (runId === void 0) return waitFor(record.nextAttemptAt, now) ?? { kind: "find-run", record };
      return waitFor(record.nextCheckAt, now) ?? { kind: "check-run", record: { ...record, runId } };
    }
  }
}
function waitFor(until, now) {
  return until !== void 0 && until > now ? { kind: "wait", until } : void 0;
}
function runToStop(record) {
  if (record.phase === "dispatching")
    return record.dispatchSentAt === void 0 ? void 0 : { since: record.dispatchSentAt };
  if (record.runId !== void 0) return { runId: record.runId };
  if (record.phase === "running") return { since: record.dispatchedAt };
  const since = record.phase === "decided" ? record.dispatchSentAt ?? record.dispatchedAt : void 0;
  return since === void 0 ? void 0 : { since };
}
var WATCH_UNREADABLE_RUN_MS = 22 * 36e5;
function judgeUnreadRun(failure, takenAt, now) {
  if (failure.gone) return "gone";
  if (!failure.retryable) return "refused";
  return now - takenAt < WATCH_UNREADABLE_RUN_MS ? "retry" : "give-up";
}
function namesJob(run, jobId) {
  return run.display_title?.includes(jobId) === true;
}
var NOT_STARTED = /* @__PURE__ */ new Set(["queued", "requested", "pending"]);
function judgeRun(run, now, timing) {
  const age = now - Date.parse(run.created_at);
  if (run.status === "completed") return { kind: "ended", conclusion: run.conclusion ?? "unknown" };
  if (NOT_STARTED.has(run.status) && age > timing.queueTimeoutMs) return { kind: "queued-too-long", queuedMs: age };
  if (!(age > 15 * 6e4) || NOT_STARTED.has(run.status)) return { kind: "watch" };
  return { kind: "watch", nextCheckAt: now + (age > 60 * 6e4 ? 5 : 2) * 6e4 - 5e3 };
}

// src/bridge/settings.ts
var CODEPIPELINE_CALLS = {
  maxAttempts: 3,
  timeoutSeconds: 20,
  // An operator changes the stack, not the calls: a failed call is tried again at the next sweep.
  names: {
    principal: "the stack's FunctionRole",
    region: "the stack's Region",
    actionType: "the stack's ActionCategory, ActionProvider and ActionVersion",
    expiredCredentials: "Check FunctionRole's trust policy",
    missingCredentials: "Check the stack's FunctionRole"
  }
};
var ENVIRONMENT = {
  category: "ACTION_CATEGORY",
  provider: "ACTION_PROVIDER",
  version: "ACTION_VERSION",
  allowedRepos: "ALLOWED_REPOS",
  githubApiUrl: "GITHUB_API_URL",
  githubSecretId: "GITHUB_CREDENTIALS_SECRET",
  proxySecretId: "PROXY_CREDENTIALS_SECRET",
  queueTimeoutMinutes: "QUEUE_TIMEOUT_MINUTES",
  retryMinutes: "GITHUB_RETRY_MINUTES",
  tableName: "TABLE_NAME",
  scheduleName: "SWEEP_SCHEDULE_NAME",
  scheduleGroup: "SWEEP_SCHEDULE_GROUP",
  logLevel: "LOG_LEVEL"
};
function readSettings(env) {
  const problems = [];
  const text = (name) => {
    const value = env[name]?.trim();
    if (!value) problems.push(`${name} is not set`);
    return value ?? "";
  };
  const minutes2 = (name) => {
    const value = Number(text(name));
    if (!(value > 0 && value <= 24 * 60)) problems.push(`${name} must be a number of minutes above 0 and at most 1440`);
    return value * 6e4;
  };
  const category = ACTION_CATEGORIES.find((choice) => choice === env[ENVIRONMENT.category]?.trim());
  if (category === void 0) problems.push(`${ENVIRONMENT.category} must be one of ${ACTION_CATEGORIES.join(", ")}`);
  const typePart = (name, limit) => {
    const value = text(name);
    if (value && !(isWithin(value, limit) && ACTION_TYPE.pattern.test(value)))
      problems.push(`${name} ${quote(value)} is not ${limit.min}\u2013${limit.max} letters, digits, _ or -`);
    return value;
  };
  const provider = typePart(ENVIRONMENT.provider, ACTION_TYPE.provider);
  const version = typePart(ENVIRONMENT.version, ACTION_TYPE.version);
  let allowedRepos;
  try {
    allowedRepos = AllowedRepos.parse(env[ENVIRONMENT.allowedRepos] ?? "");
  } catch (error) {
    problems.push(error.message);
  }
  const githubApiUrl = text(ENVIRONMENT.githubApiUrl).replace(/\/+$/, "");
  if (githubApiUrl && !/^https?:\/\/[^/\s]+(\/\S*)?$/.test(githubApiUrl))
    problems.push(`${ENVIRONMENT.githubApiUrl} ${quote(githubApiUrl)} is not a URL`);
  const settings = {
    actionType: { owner: "Custom", category: category ?? "Build", provider, version },
    githubApiUrl,
    githubSecretId: text(ENVIRONMENT.githubSecretId),
    proxySecretId: env[ENVIRONMENT.proxySecretId]?.trim() || void 0,
    queueTimeoutMs: minutes2(ENVIRONMENT.queueTimeoutMinutes),
    retryWindowMs: minutes2(ENVIRONMENT.retryMinutes),
    tableName: text(ENVIRONMENT.tableName),
    sweep: {
      scheduleName: text(ENVIRONMENT.scheduleName),
      groupName: env[ENVIRONMENT.scheduleGroup]?.trim() || "default"
    },
    logLevel: env[ENVIRONMENT.logLevel]?.trim()
  };
  if (problems.length > 0 || allowedRepos === void 0) {
    throw new Error(`The bridge's settings are wrong; fix the stack's parameters: ${problems.join("; ")}`);
  }
  return { ...settings, allowedRepos };
}

// src/bridge/session.ts
var LEASE_MARGIN_MS = 2e3;
var Session = class {
  constructor(parts, invocation, trigger) {
    this.parts = parts;
    this.invocation = invocation;
    this.summary = {
      trigger: trigger.kind === "action" ? trigger.state : trigger.kind,
      polled: 0,
      dispatched: [],
      failed: [],
      closed: 0
    };
    this.reserveMs = Math.min(1e4, (invocation.deadline - parts.clock.now()) / 10);
  }
  parts;
  invocation;
  summary;
  unexpected = [];
  deferred = /* @__PURE__ */ new Map();
  reserveMs;
  get log() {
    return this.parts.log;
  }
  get now() {
    return this.parts.clock.now();
  }
  lease() {
    return { owner: this.invocation.owner, until: this.invocation.deadline + LEASE_MARGIN_MS };
  }
  hasTime(needMs = 0) {
    return this.invocation.deadline - this.now > this.reserveMs + needMs;
  }
  async save(record, changes) {
    const deferred = this.deferred.get(record.key);
    this.deferred.delete(record.key);
    const saved = await this.parts.store.save(record.key, this.invocation.owner, { ...deferred, ...changes });
    if (!saved)
      this.log.info("The record was taken over or closed meanwhile; leaving it", { actionExecutionId: record.key });
    return saved;
  }
  async close(record, because) {
    if (await this.save(record, { phase: "closed", closedBecause: because })) this.summary.closed += 1;
    this.log.info(`Closed: ${because}`, { jobId: record.jobId, actionExecutionId: record.key });
    return void 0;
  }
  later(record, changes) {
    this.deferred.set(record.key, { ...this.deferred.get(record.key), ...changes });
    return { ...record, ...changes };
  }
  async letGo(record, changes = {}) {
    if (record) await this.save(record, { ...changes, leaseOwner: void 0, leaseUntil: void 0 });
    return void 0;
  }
  async guard(subject, work2) {
    try {
      return await work2();
    } catch (error) {
      this.unexpected.push(error);
      this.log.error(`Failed on ${subject}: ${this.explain(error)}`);
      return void 0;
    }
  }
  explain(error, jobId) {
    if (error instanceof CodePipelineCallError) return explainCallError(error, { jobId, ...CODEPIPELINE_CALLS });
    return errorMessage(error);
  }
};

// src/bridge/start.ts
async function dispatch(session, record) {
  const { github } = session.parts;
  const { target, jobId } = record;
  let ref;
  try {
    ref = record.ref ?? target.branch ?? await github.defaultBranch(target.owner, target.repo);
    await github.authorize(target.owner, target.repo);
  } catch (error) {
    return notStarted(session, record, error, record.ref ?? target.branch);
  }
  const sentAt = session.now;
  if (!await session.save(record, { dispatchSentAt: sentAt, ref })) return void 0;
  let started2;
  try {
    started2 = await github.dispatch(target, ref, jobId);
  } catch (error) {
    if (!(error instanceof GitHubError && error.maybeDone)) return notStarted(session, record, error, ref);
    session.log.warn("GitHub gave no answer to the dispatch; a run may have started: looking for it by name", {
      jobId,
      error: error.message
    });
    return session.save(record, failedAttempt(record, error.message, session.now));
  }
  let run = { runId: started2.runId, runUrl: started2.htmlUrl };
  if (run.runId === void 0) {
    const found = await lookForRun(session, target, jobId, sentAt, true).catch(() => void 0);
    run = { runId: found?.id, runUrl: found?.html_url };
  }
  session.summary.dispatched.push(jobId);
  const repository = `${target.owner}/${target.repo}`;
  session.log.info("Started the workflow run", { jobId, repository, workflow: target.workflow, ref, ...run });
  return session.save(record, {
    phase: "running",
    dispatchSentAt: void 0,
    dispatchedAt: session.now,
    ...run,
    nextAttemptAt: void 0
  });
}
async function notStarted(session, record, error, ref) {
  const { githubSecretId } = session.parts.settings;
  const cleared = { dispatchSentAt: void 0 };
  if (error instanceof CredentialsError) {
    if (!error.retryable) return decide(session, record, credentialsOutcome(error, githubSecretId), cleared);
    return retryLater(session, record, error.message, cleared);
  }
  if (!(error instanceof GitHubError)) throw error;
  if (!error.retryable)
    return decide(session, record, refusedOutcome(error, record.target, ref, githubSecretId), cleared);
  return retryLater(session, record, error.message, cleared, error.retryAfterMs);
}
async function retryLater(session, record, message, changes, retryAfterMs2) {
  const attempt = failedAttempt(record, message, session.now);
  const givenUp = giveUpAfterWindow(session, record, attempt.firstFailureAt, message, changes);
  if (givenUp !== void 0) return givenUp;
  const { settings, clock } = session.parts;
  const delay = backoffMs(attempt.attempts, settings, clock.random(), retryAfterMs2);
  session.log.warn(`GitHub is not available; trying again in ${Math.round(delay / 1e3)} s`, {
    jobId: record.jobId,
    attempts: attempt.attempts,
    error: message
  });
  return session.letGo(record, { ...changes, ...attempt, nextAttemptAt: session.now + delay });
}
function giveUpAfterWindow(session, record, firstFailureAt, lastError, changes) {
  const { settings } = session.parts;
  if (!retryWindowPassed(firstFailureAt, session.now, settings)) return void 0;
  return decide(session, record, unavailableOutcome(record.target, lastError, settings.retryWindowMs), changes);
}
async function findRun(session, record) {
  const { target, jobId } = record;
  const since = (record.phase === "dispatching" ? record.dispatchSentAt : record.dispatchedAt) ?? record.createdAt;
  let run;
  try {
    run = await lookForRun(session, target, jobId, since, false);
  } catch (error) {
    if (!(error instanceof GitHubError)) throw error;
    if (!error.retryable) {
      const outcome2 = refusedOutcome(error, target, record.ref, session.parts.settings.githubSecretId);
      return decide(session, record, outcome2);
    }
    const attempt = failedAttempt(record, error.message, session.now);
    const givenUp = record.phase === "dispatching" ? giveUpAfterWindow(session, record, attempt.firstFailureAt, error.message) : void 0;
    return givenUp ?? session.letGo(record, attempt);
  }
  if (run) {
    session.log.info("Found the workflow run by its name", { jobId, runId: run.id });
    if (record.phase === "dispatching") session.summary.dispatched.push(jobId);
    return session.save(record, {
      phase: "running",
      runId: run.id,
      runUrl: run.html_url,
      dispatchedAt: since,
      dispatchSentAt: void 0,
      nextAttemptAt: void 0
    });
  }
  return runNotFound(session, record, since);
}
function runNotFound(session, record, since) {
  const waited = session.now - since;
  const { settings } = session.parts;
  const accepted = record.phase === "running";
  if (waited < (accepted ? settings.queueTimeoutMs : dispatchGraceMs(settings))) return session.letGo(record);
  const page = runsPage(settings.githubApiUrl, record.target, record.ref);
  return decide(session, record, noRunOutcome(record.target, record.jobId, waited, page, accepted));
}
async function lookForRun(session, target, jobId, since, quick) {
  for (const pause of quick ? [500, 1e3, 2e3, 0] : [0]) {
    const runs = await session.parts.github.recentRuns(target, since - 2 * 6e4);
    const named = runs.filter((run) => namesJob(run, jobId)).sort((a, b) => a.id - b.id);
    if (named.length > 1)
      session.log.warn("More than one run carries the job ID; watching the first", {
        jobId,
        runs: named.map((run) => run.id)
      });
    if (named[0]) return named[0];
    if (pause > 0) await session.parts.clock.sleep(pause);
  }
  return void 0;
}
async function acknowledge2(session, record) {
  const { jobId } = record;
  try {
    const answer = await acknowledge(session.parts.pipeline, jobId, record.nonce);
    if (answer.outcome === "claimed") {
      if (answer.status !== void 0 && answer.status !== "InProgress")
        session.log.info(`Acknowledging the job answered ${answer.status}`, { jobId });
      return session.later(record, { acknowledged: true });
    }
    session.log.warn(`Could not acknowledge the job yet: ${session.explain(answer.refusal, jobId)}`, { jobId });
    return session.save(record, { nonce: void 0 });
  } catch (error) {
    if (!(error instanceof CodePipelineCallError)) throw error;
    session.log.warn(`Could not acknowledge the job yet: ${session.explain(error, jobId)}`, { jobId });
    if (errorCode(error.cause) === "JobNotFoundException") return session.save(record, { nonce: void 0 });
    return session.letGo(record);
  }
}

// src/bridge/answer.ts
async function checkRun(session, record) {
  const { target, runId, jobId } = record;
  const { github, settings } = session.parts;
  let run;
  try {
    run = await github.run(target.owner, target.repo, runId);
  } catch (error) {
    return unreadRun(session, record, error);
  }
  if (!record.runNameChecked) record = checkRunName(session, record, run);
  const verdict = judgeRun(run, session.now, settings);
  if (verdict.kind === "watch")
    return session.letGo(record, {
      nextCheckAt: verdict.nextCheckAt,
      runUrl: run.html_url,
      ...record.attempts && { attempts: void 0, firstFailureAt: void 0, lastError: void 0 }
    });
  if (verdict.kind === "queued-too-long") {
    await cancelRun(session, target, runId, jobId);
    return decide(session, record, queuedTooLongOutcome(run, verdict.queuedMs, settings.queueTimeoutMs));
  }
  return decide(session, record, runEndedOutcome(run, jobId));
}
function checkRunName(session, record, run) {
  const warning = namesJob(run, record.jobId) ? void 0 : unnamedRunWarning(run);
  if (warning) session.log.warn(warning, { jobId: record.jobId, runId: run.id });
  return session.later(record, { runNameChecked: true, ...warning && { warning } });
}
async function unreadRun(session, record, error) {
  const { runId, jobId } = record;
  if (!(error instanceof GitHubError || error instanceof CredentialsError)) throw error;
  const run = record.runUrl ?? String(runId);
  const gone = error instanceof GitHubError && error.status === 404 && error.request.endsWith(`/runs/${runId}`);
  const verdict = judgeUnreadRun({ gone, retryable: error.retryable }, record.createdAt, session.now);
  if (verdict === "gone") return decide(session, record, runGoneOutcome(record.runUrl, runId));
  const { settings, clock } = session.parts;
  if (verdict === "refused")
    return decide(
      session,
      record,
      error instanceof GitHubError ? runUnreadableOutcome(error, record.target, run) : credentialsOutcome(error, settings.githubSecretId)
    );
  if (verdict === "give-up")
    return decide(session, record, runUnwatchedOutcome(run, session.now - record.createdAt, error.message));
  const attempt = failedAttempt(record, error.message, session.now);
  const retryAfterMs2 = error instanceof GitHubError ? error.retryAfterMs : void 0;
  const delay = backoffMs(attempt.attempts, settings, clock.random(), retryAfterMs2);
  session.log.warn(`Could not read the workflow run: ${error.message}`, { jobId, runId, retryInMs: delay });
  return session.letGo(record, { ...attempt, nextCheckAt: session.now + delay });
}
async function decide(session, record, outcome2, changes = {}) {
  const told = withWarning(outcome2, record.phase === "running" ? record.warning : void 0);
  session.log.warn(`The job fails: ${told.type}`, { jobId: record.jobId, reason: told.message });
  return session.save(record, { ...changes, phase: "decided", outcome: told, outcomeAt: session.now });
}
async function deliver(session, record) {
  const { jobId, outcome: outcome2 } = record;
  const { acknowledged, nonce } = await acknowledgeFirst(session, record);
  const request = {
    jobId,
    failureDetails: {
      type: outcome2.type,
      message: outcome2.message,
      ...record.runId !== void 0 && { externalExecutionId: String(record.runId) }
    }
  };
  const problems = requestProblems(request);
  if (problems.length > 0) throw new Error(`The failure result breaks CodePipeline's limits: ${problems.join("; ")}`);
  try {
    await session.parts.pipeline.putJobFailureResult(request);
  } catch (error) {
    if (!(error instanceof CodePipelineCallError)) throw error;
    const code = errorCode(error.cause);
    if (error.landedEarlier("InvalidJobStateException")) return failed(session, record);
    if (code === "InvalidJobStateException" && acknowledged) return answeredByRun(session, record);
    if (code === "JobNotFoundException") return session.close(record, "CodePipeline no longer has the job");
    session.log.error(`Could not tell CodePipeline the job failed: ${session.explain(error, jobId)}`, { jobId });
    if (session.now - record.outcomeAt > session.parts.settings.retryWindowMs)
      return session.close(record, "CodePipeline did not take the result");
    return session.letGo(record, { acknowledged, nonce });
  }
  return failed(session, record);
}
async function acknowledgeFirst(session, record) {
  const { jobId, nonce } = record;
  if (record.acknowledged === true || nonce === void 0) return { acknowledged: record.acknowledged === true, nonce };
  try {
    const answer = await acknowledge(session.parts.pipeline, jobId, nonce);
    if (answer.outcome !== "taken") return { acknowledged: answer.outcome === "claimed", nonce };
    const why = session.explain(answer.refusal, jobId);
    session.log.info(`The nonce is spent; sending the result anyway: ${why}`, { jobId });
    return { acknowledged: false };
  } catch (error) {
    if (!(error instanceof CodePipelineCallError)) throw error;
    const why = session.explain(error, jobId);
    session.log.info(`Could not acknowledge the job first; sending the result anyway: ${why}`, { jobId });
    return { acknowledged: false, nonce };
  }
}
async function answeredByRun(session, record) {
  session.log.info("CodePipeline already has a result for the job, most likely from the run itself", {
    jobId: record.jobId
  });
  return session.letGo(record, { phase: "expected", createdAt: session.now, outcome: void 0, outcomeAt: void 0 });
}
async function failed(session, record) {
  const { jobId, outcome: outcome2 } = record;
  session.summary.failed.push({ jobId, type: outcome2.type });
  session.log.info(`Told CodePipeline the job failed: ${outcome2.type}`, { jobId, runId: record.runId });
  return session.close(record, `failed the job (${outcome2.type})`);
}
async function stop(session, record) {
  const { target, jobId } = record;
  const stopped2 = "the pipeline execution was stopped";
  if (target === void 0 || jobId === void 0) return session.close(record, stopped2);
  const { settings } = session.parts;
  try {
    const run = runToStop(record);
    let runId = run && "runId" in run ? run.runId : void 0;
    if (run && "since" in run) {
      runId = (await lookForRun(session, target, jobId, run.since, false))?.id;
      if (runId === void 0 && session.now - run.since < dispatchGraceMs(settings)) return session.letGo(record);
    }
    if (runId !== void 0) await cancelRun(session, target, runId, jobId);
  } catch (error) {
    if (!(error instanceof GitHubError)) throw error;
    session.log.warn(`Could not cancel the run of the stopped execution yet: ${error.message}`, { jobId });
    const stoppedFor = session.now - (record.stoppedAt ?? record.createdAt);
    if (error.retryable && stoppedFor < settings.retryWindowMs) return session.letGo(record);
  }
  return session.close(record, stopped2);
}
async function cancelRun(session, target, runId, jobId) {
  const cancelled = await session.parts.github.cancel(target.owner, target.repo, runId);
  const said = cancelled ? "Cancelled the workflow run" : "The workflow run had already finished";
  session.log.info(said, { jobId, runId });
}

// src/bridge/steps.ts
var MAX_STEPS = 8;
async function work(session, record) {
  let current = record;
  let started2 = false;
  for (let steps = 0; current !== void 0; steps++) {
    const step = nextStep(current, session.now);
    const fresh = started2 && step.kind === "check-run";
    if (step.kind === "wait" || fresh || steps >= MAX_STEPS || !session.hasTime()) {
      await session.letGo(current);
      return;
    }
    started2 ||= step.kind === "dispatch" || step.kind === "find-run";
    current = await perform(session, step);
  }
}
function perform(session, step) {
  switch (step.kind) {
    case "stop":
      return stop(session, step.record);
    case "deliver":
      return deliver(session, step.record);
    case "forget":
      return session.close(step.record, "no job showed up in the queue");
    case "discard":
      return session.close(step.record, `the stored record cannot be read: ${step.record.problem}`);
    case "dispatch":
      return dispatch(session, step.record);
    case "find-run":
      return findRun(session, step.record);
    case "acknowledge":
      return acknowledge2(session, step.record);
    case "check-run":
      return checkRun(session, step.record);
  }
}

// src/bridge/intake.ts
var POLL_BATCH = 10;
var MAX_POLL_ROUNDS = 100;
var SWEEP_CONCURRENCY = 8;
var STARTED_REPOLL_MS = [1e3, 2e3, 4e3];
async function handle(parts, invocation, trigger) {
  const session = new Session(parts, invocation, trigger);
  try {
    if (trigger.kind === "sweep") await sweep(session);
    else if (trigger.kind === "ignored") session.log.info(`Ignoring the event: ${trigger.reason}`);
    else if (trigger.state === "STARTED") await started(session, trigger.actionExecutionId, trigger.place);
    else if (trigger.state === "CANCELED" || trigger.state === "ABANDONED") await stopped(session, trigger);
    else if (await parts.store.closeAnswered(trigger.actionExecutionId, trigger.state.toLowerCase()))
      session.summary.closed += 1;
  } catch (error) {
    session.unexpected.push(error);
    session.log.error(session.explain(error));
  }
  session.log.info("Done", { ...session.summary });
  const [first] = session.unexpected;
  if (first !== void 0) throw new AggregateError(session.unexpected, session.explain(first));
  return session.summary;
}
async function started(session, key, place) {
  await session.parts.store.expect(key, place);
  await keepSweeping(session);
  const taken = await drainQueue(session);
  for (const pause of STARTED_REPOLL_MS) {
    if (taken.has(key) || !session.hasTime(pause)) break;
    if ((await session.parts.store.get(key))?.phase !== "expected") break;
    session.log.debug(`The job of action execution ${key} is not in the queue yet; polling again in ${pause} ms`);
    await session.parts.clock.sleep(pause);
    for (const found of await drainQueue(session)) taken.add(found);
  }
}
async function stopped(session, trigger) {
  const key = trigger.actionExecutionId;
  const record = await session.parts.store.markStopped(key, trigger.place);
  session.log.info(`The pipeline execution was ${trigger.state.toLowerCase()}`, {
    actionExecutionId: key,
    jobId: record.jobId
  });
  if (record.phase === "closed") return;
  await keepSweeping(session);
  const leased = await session.parts.store.lease(key, session.lease());
  if (leased) await work(session, leased);
}
async function sweep(session) {
  const open = await session.parts.store.open();
  session.summary.open = open.length;
  if (open.length === 0) return;
  await keepSweeping(session);
  const taken = await drainQueue(session);
  const due = open.filter((record) => !taken.has(record.key) && nextStep(record, session.now).kind !== "wait");
  await eachLimited(due, SWEEP_CONCURRENCY, async (record) => {
    if (!session.hasTime()) return;
    await session.guard(record.key, async () => {
      const leased = await session.parts.store.lease(record.key, session.lease());
      if (leased) await work(session, leased);
    });
  });
}
async function keepSweeping(session) {
  try {
    await session.parts.schedule.ensure();
  } catch (error) {
    session.unexpected.push(error);
    session.log.error(`Could not renew the sweep schedule: ${errorMessage(error)}`);
  }
}
async function drainQueue(session) {
  const taken = /* @__PURE__ */ new Set();
  const seen = /* @__PURE__ */ new Set();
  for (let round = 0; round < MAX_POLL_ROUNDS && session.hasTime(); round++) {
    const jobs = await session.parts.pipeline.pollForJobs({
      actionTypeId: session.parts.settings.actionType,
      maxBatchSize: POLL_BATCH
    });
    const fresh = jobs.filter((job) => job.id !== void 0 && !seen.has(job.id));
    if (fresh.length === 0) break;
    for (const job of fresh) seen.add(job.id);
    session.summary.polled += fresh.length;
    const keys = await Promise.all(fresh.map((job) => session.guard(job.id, () => take(session, job))));
    for (const key of keys) if (key !== void 0) taken.add(key);
  }
  return taken;
}
async function take(session, job) {
  const { store, settings } = session.parts;
  const nonce = job.nonce;
  if (nonce === void 0) return void 0;
  const context = job.data?.pipelineContext;
  const key = context?.action?.actionExecutionId ?? `job-${job.id}`;
  const reading = readTarget(job.data?.actionConfiguration?.configuration, settings.allowedRepos);
  const place = {
    pipeline: context?.pipelineName ?? "",
    executionId: context?.pipelineExecutionId ?? "",
    stage: context?.stage?.name ?? "",
    action: context?.action?.name ?? ""
  };
  const started2 = "target" in reading ? { target: reading.target } : { outcome: configurationOutcome(reading.problems) };
  const claim = await store.claim(key, { jobId: job.id, nonce, place, ...started2 }, session.lease());
  if (claim.won) {
    session.log.info("Took a new job", {
      jobId: job.id,
      actionExecutionId: key,
      pipeline: context?.pipelineName,
      ..."target" in reading && {
        repository: `${reading.target.owner}/${reading.target.repo}`,
        workflow: reading.target.workflow
      }
    });
    await work(session, claim.record);
    return key;
  }
  const existing = claim.existing;
  if (existing?.jobId !== job.id || existing.phase === "closed") {
    session.log.debug("Leaving a job handed out again", {
      jobId: job.id,
      actionExecutionId: key,
      phase: existing?.phase
    });
    return void 0;
  }
  const leased = await store.lease(key, session.lease(), { jobId: job.id, nonce });
  if (leased) await work(session, leased);
  else await store.rememberNonce(key, job.id, nonce);
  return key;
}
async function eachLimited(items, limit, run) {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++];
      if (item !== void 0) await run(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

// src/bridge/json-log.ts
var RANK = { debug: 10, info: 20, warn: 30, error: 40 };
var MASK = "***";
var MIN_SECRET_LENGTH = 8;
var Logger = class _Logger {
  constructor(minimum, fields, secrets, clock, write) {
    this.minimum = minimum;
    this.fields = fields;
    this.secrets = secrets;
    this.clock = clock;
    this.write = write;
  }
  minimum;
  fields;
  secrets;
  clock;
  write;
  static create(level, clock, write = (line) => void process.stdout.write(line)) {
    const minimum = RANK[level?.toLowerCase() ?? "info"] ?? RANK.info;
    return new _Logger(minimum, {}, /* @__PURE__ */ new Set(), clock, write);
  }
  /** A logger that adds these fields to every line; it shares the secrets. */
  with(fields) {
    return new _Logger(this.minimum, { ...this.fields, ...fields }, this.secrets, this.clock, this.write);
  }
  /** Masks this value in every line from now on, in this logger and all that share its secrets. */
  secret(value) {
    if (value === void 0 || value.length < MIN_SECRET_LENGTH) return;
    this.secrets.add(value);
    for (const line of value.split(/\r?\n/)) if (line.length >= MIN_SECRET_LENGTH) this.secrets.add(line);
  }
  debug(message, fields) {
    this.log("debug", message, fields);
  }
  info(message, fields) {
    this.log("info", message, fields);
  }
  warn(message, fields) {
    this.log("warn", message, fields);
  }
  error(message, fields) {
    this.log("error", message, fields);
  }
  log(level, message, fields) {
    if (RANK[level] < this.minimum) return;
    const entry = { time: new Date(this.clock.now()).toISOString(), level, message, ...this.fields, ...fields };
    this.write(`${this.mask(JSON.stringify(entry, jsonSafe))}
`);
  }
  mask(line) {
    let masked = line;
    for (const secret of this.secrets) {
      for (const form of [secret, JSON.stringify(secret).slice(1, -1)]) masked = masked.split(form).join(MASK);
    }
    return masked;
  }
};
function jsonSafe(_key, value) {
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}

// src/bridge/proxy-secret.ts
var FORMAT = 'It must hold user:password, or {"username": "...", "password": "..."}';
function parseProxyCredentials(text) {
  const trimmed = text.trim();
  let fields = {};
  if (trimmed.startsWith("{")) {
    try {
      fields = JSON.parse(trimmed);
    } catch {
      throw new Error(`The proxy credentials secret is not valid JSON. ${FORMAT}.`);
    }
  } else {
    const colon = trimmed.indexOf(":");
    if (colon > 0) fields = { username: trimmed.slice(0, colon), password: trimmed.slice(colon + 1) };
  }
  const { username, password } = fields;
  if (typeof username !== "string" || !username || typeof password !== "string" || !password)
    throw new Error(`The proxy credentials secret has no user name and password. ${FORMAT}.`);
  return { username, password };
}

// src/bridge/state-store.ts
var import_client_dynamodb = require("@aws-sdk/client-dynamodb");

// src/bridge/dynamo-item.ts
var TABLE = { key: "pk", openIndex: "open", openAttribute: "open", ttlAttribute: "expiresAt" };
function update(key, set, remove, { condition, values = {} }) {
  const names = condition?.includes("#open") ? { "#open": TABLE.openAttribute } : {};
  const attributeValues = {};
  const assignments = [];
  let index = 0;
  for (const [field, value] of Object.entries(set)) {
    if (value === void 0) continue;
    names[`#f${index}`] = field;
    attributeValues[`:v${index}`] = attribute(value);
    assignments.push(`#f${index} = :v${index}`);
    index += 1;
  }
  const removals = remove.filter((field) => set[field] === void 0).map((field) => {
    names[`#f${index}`] = field;
    return `#f${index++}`;
  });
  for (const [name, value] of Object.entries(values)) attributeValues[name] = attribute(value);
  return {
    Key: keyOf(key),
    UpdateExpression: [
      assignments.length > 0 ? `SET ${assignments.join(", ")}` : "",
      removals.length > 0 ? `REMOVE ${removals.join(", ")}` : ""
    ].filter(Boolean).join(" "),
    ExpressionAttributeNames: names,
    ...Object.keys(attributeValues).length > 0 && { ExpressionAttributeValues: attributeValues },
    ...condition !== void 0 && { ConditionExpression: condition }
  };
}
function keyOf(key) {
  return { [TABLE.key]: attribute(key) };
}
var MAX_STORED_TEXT = LENGTH.failureMessage.max;
function attribute(value) {
  if (typeof value === "string") return { S: truncate(value, MAX_STORED_TEXT) };
  if (typeof value === "number") return { N: String(value) };
  if (typeof value === "boolean") return { BOOL: value };
  if (Array.isArray(value)) return { L: value.map(attribute) };
  if (typeof value === "object" && value !== null) {
    return {
      M: Object.fromEntries(
        Object.entries(value).flatMap(([name, inner]) => inner === void 0 ? [] : [[name, attribute(inner)]])
      )
    };
  }
  return { NULL: true };
}
function plain(value) {
  if (value.S !== void 0) return value.S;
  if (value.N !== void 0) return Number(value.N);
  if (value.BOOL !== void 0) return value.BOOL;
  if (value.L !== void 0) return value.L.map(plain);
  if (value.M !== void 0)
    return Object.fromEntries(Object.entries(value.M).map(([name, inner]) => [name, plain(inner)]));
  return void 0;
}

// src/bridge/stored-record.ts
function decodeRecord(fields) {
  const stored = fields;
  const { key, phase, jobId, createdAt = 0 } = stored;
  const problem = problemWith(stored);
  if (problem !== void 0) return { phase: "unreadable", key, jobId, problem };
  if (phase === "closed" || phase === "expected") return stored;
  if (hasStrings(stored.outcome, "type", "message"))
    return { ...stored, phase: "decided", outcomeAt: stored.outcomeAt ?? createdAt };
  if (phase === "running")
    return { ...stored, dispatchedAt: stored.dispatchedAt ?? stored.dispatchSentAt ?? createdAt };
  return stored;
}
function problemWith({ phase, jobId, createdAt, outcome: outcome2, target }) {
  if (typeof createdAt !== "number") return "it has no createdAt";
  if (phase === "closed" || phase === "expected") return void 0;
  if (phase !== "dispatching" && phase !== "running" && phase !== "decided")
    return `its phase ${JSON.stringify(phase)} is not known`;
  if (typeof jobId !== "string") return `a ${phase} record has no jobId`;
  if (hasStrings(outcome2, "type", "message")) return void 0;
  if (phase === "decided") return "a decided record has no outcome";
  return hasStrings(target, "owner", "repo", "workflow") ? void 0 : `a ${phase} record has no workflow to run`;
}
function hasStrings(value, ...names) {
  return typeof value === "object" && value !== null && names.every((name) => typeof value[name] === "string");
}

// src/bridge/state-store.ts
var OPEN = "1";
var RECORD_DAYS = 2;
var JOB_FIELDS = [
  "acknowledged",
  "ref",
  "attempts",
  "firstFailureAt",
  "nextAttemptAt",
  "lastError",
  "dispatchSentAt",
  "dispatchedAt",
  "runId",
  "runUrl",
  "nextCheckAt",
  "runNameChecked",
  "warning",
  "closedBecause",
  "target",
  "outcome",
  "outcomeAt"
];
var StateStore = class {
  constructor(db, table, clock) {
    this.db = db;
    this.table = table;
    this.clock = clock;
  }
  db;
  table;
  clock;
  async get(key) {
    const { Item } = await this.db.send(
      new import_client_dynamodb.GetItemCommand({ TableName: this.table, Key: keyOf(key), ConsistentRead: true })
    );
    return Item && toRecord(Item);
  }
  /** Notes a STARTED event, so that the sweep keeps looking until its job shows up. */
  async expect(key, place) {
    return this.written(
      update(
        key,
        { phase: "expected", place, createdAt: this.clock.now(), [TABLE.openAttribute]: OPEN, ...this.expiry() },
        [],
        {
          condition: `attribute_not_exists(${TABLE.key})`
        }
      )
    );
  }
  /**
   * Takes a polled job for this invocation: when no record has it yet, or
   * when it continues an action execution whose earlier job is done (the
   * record is closed, or expecting the next job). A stopped execution is
   * never taken.
   */
  async claim(key, job, lease) {
    const now = this.clock.now();
    const request = update(
      key,
      {
        // A job that cannot be started has its result at once.
        phase: job.outcome ? "decided" : "dispatching",
        jobId: job.jobId,
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
        condition: "attribute_not_exists(stopped) AND (attribute_not_exists(jobId) OR (phase IN (:closed, :expected) AND jobId <> :jobId))",
        values: { ":closed": "closed", ":expected": "expected", ":jobId": job.jobId }
      }
    );
    try {
      const { Attributes } = await this.db.send(
        new import_client_dynamodb.UpdateItemCommand({
          ...request,
          TableName: this.table,
          ReturnValues: "ALL_NEW",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD"
        })
      );
      return { won: true, record: toRecord(Attributes ?? {}) };
    } catch (error) {
      if (!(error instanceof import_client_dynamodb.ConditionalCheckFailedException)) throw error;
      return { won: false, existing: error.Item && toRecord(error.Item) };
    }
  }
  /** Takes an open record whose lease is free; undefined when another invocation has it, or it closed. */
  async lease(key, lease, handout) {
    const request = update(key, { leaseOwner: lease.owner, leaseUntil: lease.until, nonce: handout?.nonce }, [], {
      condition: `#open = :open AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)${handout ? " AND jobId = :jobId" : ""}`,
      values: { ":open": OPEN, ":now": this.clock.now(), ...handout && { ":jobId": handout.jobId } }
    });
    return this.write(request);
  }
  /** Keeps the nonce of a new handout for whoever holds the record, to acknowledge with. */
  async rememberNonce(key, jobId, nonce) {
    await this.write(
      update(key, { nonce }, [], {
        condition: "#open = :open AND jobId = :jobId",
        values: { ":open": OPEN, ":jobId": jobId }
      })
    );
  }
  /**
   * Writes the lease holder's changes; undefined when the lease was lost
   * (another invocation took over after this one's deadline, or the record
   * was closed by an event).
   */
  async save(key, owner, changes) {
    const set = {};
    const remove = [];
    for (const [field, value] of Object.entries(changes)) {
      if (value === void 0) remove.push(field);
      else set[field] = value;
    }
    if (changes.phase === "closed") remove.push(TABLE.openAttribute, "leaseOwner", "leaseUntil");
    return this.write(update(key, set, remove, { condition: "leaseOwner = :owner", values: { ":owner": owner } }));
  }
  /**
   * Marks the action execution stopped. A record made here, before any job
   * was seen, stays closed, and keeps a later handout of the job from
   * being dispatched.
   */
  async markStopped(key, place) {
    const { Attributes } = await this.db.send(
      new import_client_dynamodb.UpdateItemCommand({
        TableName: this.table,
        Key: keyOf(key),
        UpdateExpression: "SET stopped = :true, stoppedAt = if_not_exists(stoppedAt, :now), phase = if_not_exists(phase, :closed), place = if_not_exists(place, :place), createdAt = if_not_exists(createdAt, :now), #expires = if_not_exists(#expires, :expires)",
        ExpressionAttributeNames: { "#expires": TABLE.ttlAttribute },
        ExpressionAttributeValues: {
          ":true": attribute(true),
          ":closed": attribute("closed"),
          ":place": attribute(place),
          ":now": attribute(this.clock.now()),
          ":expires": attribute(this.expiry().expiresAt)
        },
        ReturnValues: "ALL_NEW"
      })
    );
    return toRecord(Attributes ?? {});
  }
  /** The job has its result (the action succeeded or failed): stop watching. */
  async closeAnswered(key, state) {
    return this.written(
      update(
        key,
        { phase: "closed", closedBecause: `the action ${state}` },
        [TABLE.openAttribute, "leaseOwner", "leaseUntil"],
        {
          condition: "attribute_exists(jobId) AND #open = :open",
          values: { ":open": OPEN }
        }
      )
    );
  }
  /** Every record with work open, from the sparse index: one read when there is none. */
  async open() {
    const records = [];
    let start;
    do {
      const page = await this.db.send(
        new import_client_dynamodb.QueryCommand({
          TableName: this.table,
          IndexName: TABLE.openIndex,
          KeyConditionExpression: "#open = :open",
          ExpressionAttributeNames: { "#open": TABLE.openAttribute },
          ExpressionAttributeValues: { ":open": attribute(OPEN) },
          ExclusiveStartKey: start
        })
      );
      records.push(...(page.Items ?? []).map(toRecord));
      start = page.LastEvaluatedKey;
    } while (start);
    return records;
  }
  expiry() {
    return { expiresAt: Math.floor(this.clock.now() / 1e3) + RECORD_DAYS * 24 * 3600 };
  }
  /** Sends an update; the record as it now is, or undefined when the condition did not hold. */
  async write(request) {
    try {
      const { Attributes } = await this.db.send(
        new import_client_dynamodb.UpdateItemCommand({ ...request, TableName: this.table, ReturnValues: "ALL_NEW" })
      );
      return toRecord(Attributes ?? {});
    } catch (error) {
      if (error instanceof import_client_dynamodb.ConditionalCheckFailedException) return void 0;
      throw error;
    }
  }
  async written(request) {
    return await this.write(request) !== void 0;
  }
};
function toRecord(item) {
  const fields = {};
  for (const [name, value] of Object.entries(item)) {
    if (name === TABLE.openAttribute || name === TABLE.ttlAttribute) continue;
    fields[name === TABLE.key ? "key" : name] = plain(value);
  }
  return decodeRecord(fields);
}

// src/bridge/index.ts
var container;
async function createContainer(env) {
  const clock = {
    now: () => Date.now(),
    sleep: (ms) => (0, import_promises.setTimeout)(ms),
    random: () => Math.random()
  };
  const log = Logger.create(env.LOG_LEVEL, clock);
  for (const secret of proxyCredentials(env)) log.secret(secret);
  announceProxy({ info: (message) => log.info(message), warning: (message) => log.warn(message) }, env);
  const settings = readSettings(env);
  const region = env.AWS_REGION;
  const aws = (route) => ({
    region,
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 3e3, requestTimeout: 5e3, ...proxyAgents(route) }
  });
  let proxy = readProxySettings(env);
  if (settings.proxySecretId) {
    const client = new import_client_secrets_manager.SecretsManagerClient(aws(proxy));
    const text = await readSecret(client, settings.proxySecretId).finally(() => client.destroy());
    const credentials = parseProxyCredentials(text);
    log.secret(credentials.password);
    log.secret(encodeURIComponent(credentials.password));
    proxy = withProxyCredentials(proxy, credentials);
  }
  const secrets = new import_client_secrets_manager.SecretsManagerClient(aws(proxy));
  const fetcher = agentFetch(proxyAgents(proxy), proxyAgents(proxy, void 0, { keepAlive: false }));
  const readGitHubSecret = () => readSecret(secrets, settings.githubSecretId);
  const tokens = new SecretTokens(readGitHubSecret, settings.githubApiUrl, log, clock, fetcher);
  return {
    settings,
    log,
    store: new StateStore(new import_client_dynamodb2.DynamoDBClient(aws(proxy)), settings.tableName, clock),
    pipeline: new CodePipeline({ region, ...CODEPIPELINE_CALLS }, log, proxyAgents(proxy)),
    github: new GitHubApi(settings.githubApiUrl, tokens, log, clock, fetcher),
    schedule: new SweepSchedule(new import_client_scheduler2.SchedulerClient(aws(proxy)), settings.sweep, log, clock),
    clock
  };
}
async function readSecret(client, secretId) {
  try {
    const { SecretString } = await client.send(new import_client_secrets_manager.GetSecretValueCommand({ SecretId: secretId }));
    if (SecretString === void 0) throw new CredentialsError(`The secret ${secretId} has no text value.`, false);
    return SecretString;
  } catch (error) {
    if (error instanceof CredentialsError) throw error;
    const status = error.$metadata?.httpStatusCode;
    const retryable = status === void 0 || status >= 500 || /Throttl/.test(errorCode(error));
    throw new CredentialsError(
      `Reading the secret failed (${errorCode(error)}: ${errorMessage(error)}).${retryable ? "" : " Check that the secret exists and that the function's role may read it."}`,
      retryable
    );
  }
}
async function handler(event, context) {
  container ??= await createContainer(process.env);
  const log = container.log.with({ requestId: context.awsRequestId });
  const trigger = readTrigger(event, container.settings.actionType);
  const invocation = {
    owner: `${context.awsRequestId}/${(0, import_node_crypto2.randomUUID)()}`,
    deadline: container.clock.now() + context.getRemainingTimeInMillis()
  };
  return handle({ ...container, log }, invocation, trigger);
}
// Annotate the CommonJS export names for ESM import in node:
0 && (module.exports = {
  handler
});
