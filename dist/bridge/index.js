// codepipeline-job-action 0.1.0: the bridge's Lambda handler, built from src/bridge/ by `npm run bundle`.
"use strict";
var __create = Object.create;
var __defProp = Object.defineProperty;
var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __getProtoOf = Object.getPrototypeOf;
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
var __toESM = (mod, isNodeMode, target) => (target = mod != null ? __create(__getProtoOf(mod)) : {}, __copyProps(
  // If the importer is in node compatibility mode or this is not an ESM
  // file that has been converted to a CommonJS file using a Babel-
  // compatible transform (i.e. "__esModule" has not been set), then set
  // "default" to the CommonJS "module.exports" for node compatibility.
  isNodeMode || !mod || !mod.__esModule ? __defProp(target, "default", { value: mod, enumerable: true }) : target,
  mod
));
var __toCommonJS = (mod) => __copyProps(__defProp({}, "__esModule", { value: true }), mod);

// src/bridge/index.ts
var index_exports = {};
__export(index_exports, {
  handler: () => handler
});
module.exports = __toCommonJS(index_exports);
var import_node_crypto2 = require("node:crypto");
var timers = __toESM(require("node:timers/promises"), 1);
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

// src/bridge/github-credentials.ts
var import_node_crypto = require("node:crypto");

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
  for (let index = 0; index + 1 < answer.rawHeaders.length; index += 2)
    headers.append(answer.rawHeaders[index], answer.rawHeaders[index + 1]);
  const status = answer.statusCode ?? 502;
  return new Response(NO_BODY.has(status) ? null : Buffer.concat(chunks), {
    status,
    statusText: answer.statusMessage ?? "",
    headers
  });
}

// src/bridge/github.ts
var REQUEST_TIMEOUT_MS = 1e4;
var READ_ATTEMPTS = 3;
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
async function githubRequest(baseUrl, method, path2, authorization, body, fetcher) {
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
  if (response.ok) return { status: response.status, body: parsed };
  const message = typeof parsed === "object" && parsed !== null && typeof parsed.message === "string" ? parsed.message : response.statusText || "no message";
  throw new GitHubError(classify(response, message), request, message, response.status, retryAfterMs(response));
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
function retryAfterMs(response) {
  const after = Number(response.headers.get("retry-after"));
  if (after > 0) return after * 1e3;
  const reset = Number(response.headers.get("x-ratelimit-reset"));
  if (reset > 0 && response.headers.get("x-ratelimit-remaining") === "0") return Math.max(0, reset * 1e3 - Date.now());
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
var GitHubApi = class {
  constructor(baseUrl, tokens, log, fetcher = agentFetch(), sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))) {
    this.baseUrl = baseUrl;
    this.tokens = tokens;
    this.log = log;
    this.fetcher = fetcher;
    this.sleep = sleep;
  }
  baseUrl;
  tokens;
  log;
  fetcher;
  sleep;
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
    if (known && known.until > Date.now()) return known.branch;
    const branch = this.readDefaultBranch(owner, repo);
    this.defaultBranches.set(key, { branch, until: Date.now() + 5 * 6e4 });
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
  /** The workflow's dispatched runs created since `since`, newest first. */
  async recentRuns(target, since) {
    const created = new Date(since).toISOString().replace(/\.\d{3}Z$/, "Z");
    const query = `event=workflow_dispatch&per_page=100&created=${encodeURIComponent(`>=${created}`)}`;
    const { body } = await this.read(target.owner, target.repo, `${workflowPath(target)}/runs?${query}`);
    const runs = body?.workflow_runs;
    return Array.isArray(runs) ? runs : [];
  }
  async run(owner, repo, runId) {
    const { body } = await this.read(owner, repo, `/repos/${path(owner)}/${path(repo)}/actions/runs/${runId}`);
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
        await this.sleep(delay);
      }
    }
  }
  /** One request with the repository's token; after a 401, once more with a fresh one. */
  async send(owner, repo, method, url, body) {
    const token = await this.tokens.token(owner, repo);
    try {
      return await githubRequest(this.baseUrl, method, url, `Bearer ${token}`, body, this.fetcher);
    } catch (error) {
      if (!(error instanceof GitHubError && error.kind === "unauthorized")) throw error;
      if (!await this.tokens.refresh(owner, repo, token)) throw error;
      this.log.info("GitHub refused the token; trying once more with a fresh one", { repository: `${owner}/${repo}` });
      return githubRequest(
        this.baseUrl,
        method,
        url,
        `Bearer ${await this.tokens.token(owner, repo)}`,
        body,
        this.fetcher
      );
    }
  }
};
function path(segment) {
  return encodeURIComponent(segment);
}
function workflowPath(target) {
  return `/repos/${path(target.owner)}/${path(target.repo)}/actions/workflows/${path(target.workflow)}`;
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
  constructor(readSecret2, apiUrl, log, fetcher = agentFetch(), now = Date.now) {
    this.readSecret = readSecret2;
    this.apiUrl = apiUrl;
    this.log = log;
    this.fetcher = fetcher;
    this.now = now;
  }
  readSecret;
  apiUrl;
  log;
  fetcher;
  now;
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
    if (cached && cached.expiresAt - TOKEN_MARGIN_MS > this.now()) return cached.token;
    let minting = this.minting.get(key);
    if (minting === void 0) {
      minting = this.mintOrRecheck(credentials, owner, repo).finally(() => this.minting.delete(key));
      this.minting.set(key, minting);
    }
    const minted = await minting;
    this.installationTokens.set(key, minted);
    return minted.token;
  }
  async refresh(owner, repo, failed) {
    const key = repoKey(owner, repo);
    const cached = this.installationTokens.get(key);
    if (cached !== void 0) {
      if (cached.token === failed) this.installationTokens.delete(key);
      return true;
    }
    if (!this.mayRecheck(failed)) return false;
    const credentials = await this.load(true);
    return credentials.kind === "app" || credentials.token !== failed;
  }
  /** True at most once a minute for each refused credential, so that a bad secret is not read on every job. */
  mayRecheck(refused) {
    const checkedAt = this.refused.get(refused);
    if (checkedAt !== void 0 && this.now() - checkedAt < REFUSED_RECHECK_MS) return false;
    this.refused.set(refused, this.now());
    return true;
  }
  /** The secret, read once per container and again when old or when GitHub refused what it held. */
  async load(fresh = false) {
    const now = this.now();
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
    const jwt = `Bearer ${appJwt(credentials.appId, credentials.privateKey, this.now())}`;
    const key = repoKey(owner, repo);
    let installation = this.installations.get(key);
    if (installation === void 0) {
      const { body } = await githubRequest(
        this.apiUrl,
        "GET",
        `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/installation`,
        jwt,
        void 0,
        this.fetcher
      );
      installation = body?.id;
      if (typeof installation !== "number")
        throw new GitHubError(
          "refused",
          `GET /repos/${owner}/${repo}/installation`,
          "the answer has no installation id"
        );
      this.installations.set(key, installation);
    }
    try {
      const { body } = await githubRequest(
        this.apiUrl,
        "POST",
        `/app/installations/${installation}/access_tokens`,
        jwt,
        // Metadata is what every App may read; actions: write starts, reads and cancels runs.
        { repositories: [repo], permissions: { actions: "write", metadata: "read" } },
        this.fetcher
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
      return { token, expiresAt: Number.isNaN(expiresAt) ? this.now() + 60 * 6e4 : expiresAt };
    } catch (error) {
      if (error instanceof GitHubError && error.status === 404) this.installations.delete(key);
      throw error;
    }
  }
};
function repoKey(owner, repo) {
  return `${owner}/${repo}`.toLowerCase();
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
function noRunOutcome(target, jobId, waitedMs) {
  return outcome(
    "SystemUnavailable",
    `GitHub accepted the request to start ${describeTarget(target)}, but no run named for job ${jobId} appeared within ${minutes(waitedMs)}. Give the workflow run-name: 'CodePipeline \${{ inputs.job-id }}', so that its runs can be found, then retry the stage.`
  );
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
function nextStep(record, now) {
  if (record.phase === "closed") return { kind: "wait" };
  if (record.stopped) return { kind: "stop" };
  if (record.outcome) return { kind: "deliver" };
  switch (record.phase) {
    case "expected":
      return now - record.createdAt > EXPECT_MS ? { kind: "forget" } : { kind: "wait" };
    case "dispatching":
      if (record.dispatchSentAt !== void 0) return { kind: "find-run" };
      if (record.nextAttemptAt !== void 0 && record.nextAttemptAt > now)
        return { kind: "wait", until: record.nextAttemptAt };
      return { kind: "dispatch" };
    case "running":
      if (!record.acknowledged && record.nonce !== void 0) return { kind: "acknowledge" };
      if (record.runId === void 0) {
        return record.nextAttemptAt !== void 0 && record.nextAttemptAt > now ? { kind: "wait", until: record.nextAttemptAt } : { kind: "find-run" };
      }
      if (record.nextCheckAt !== void 0 && record.nextCheckAt > now)
        return { kind: "wait", until: record.nextCheckAt };
      return { kind: "check-run" };
  }
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
    principal: "the bridge function's role (the stack's FunctionRole)",
    region: "the stack's Region",
    actionType: "the stack's ActionCategory, ActionProvider and ActionVersion",
    expiredCredentials: "The function's role gives fresh ones to each invocation: check the role's trust policy",
    missingCredentials: "The function's role gives it credentials: check that the stack's FunctionRole exists"
  }
};
var ENVIRONMENT = {
  category: "ACTION_CATEGORY",
  provider: "ACTION_PROVIDER",
  version: "ACTION_VERSION",
  allowedRepos: "ALLOWED_REPOS",
  githubApiUrl: "GITHUB_API_URL",
  githubSecretId: "GITHUB_CREDENTIALS_SECRET",
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

// src/bridge/bridge.ts
var POLL_BATCH = 10;
var MAX_POLL_ROUNDS = 100;
var SWEEP_CONCURRENCY = 8;
var STARTED_REPOLL_MS = [1e3, 2e3, 4e3];
var LEASE_MARGIN_MS = 2e3;
var MAX_STEPS = 8;
var Bridge = class {
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
  async handle(trigger) {
    try {
      if (trigger.kind === "sweep") await this.sweep();
      else if (trigger.kind === "ignored") this.log.info(`Ignoring the event: ${trigger.reason}`);
      else if (trigger.state === "STARTED") await this.started(trigger.actionExecutionId, trigger.place);
      else if (trigger.state === "CANCELED" || trigger.state === "ABANDONED")
        await this.stopped(trigger.actionExecutionId, trigger);
      else if (await this.parts.store.closeAnswered(trigger.actionExecutionId, trigger.state.toLowerCase()))
        this.summary.closed += 1;
    } catch (error) {
      this.unexpected.push(error);
      this.log.error(this.explain(error));
    }
    this.log.info("Done", { ...this.summary });
    if (this.unexpected.length > 0) throw new AggregateError(this.unexpected, this.explain(this.unexpected[0]));
    return this.summary;
  }
  async started(key, place) {
    await this.parts.store.expect(key, place);
    await this.keepSweeping();
    const taken = await this.drainQueue();
    for (const pause of STARTED_REPOLL_MS) {
      if (taken.has(key) || !this.hasTime(pause)) break;
      if ((await this.parts.store.get(key))?.phase !== "expected") break;
      this.log.debug(`The job of action execution ${key} is not in the queue yet; polling again in ${pause} ms`);
      await this.parts.clock.sleep(pause);
      for (const found of await this.drainQueue()) taken.add(found);
    }
  }
  async stopped(key, trigger) {
    const record = await this.parts.store.markStopped(key, trigger.place);
    this.log.info(`The pipeline execution was ${trigger.state.toLowerCase()}`, {
      actionExecutionId: key,
      jobId: record.jobId
    });
    if (record.phase === "closed") return;
    await this.keepSweeping();
    const leased = await this.parts.store.lease(key, this.lease());
    if (leased) await this.work(leased);
  }
  async sweep() {
    const open = await this.parts.store.open();
    this.summary.open = open.length;
    if (open.length === 0) return;
    await this.keepSweeping();
    const taken = await this.drainQueue();
    const due = open.filter((record) => !taken.has(record.key) && nextStep(record, this.now).kind !== "wait");
    await eachLimited(due, SWEEP_CONCURRENCY, async (record) => {
      if (!this.hasTime()) return;
      await this.guard(record.key, async () => {
        const leased = await this.parts.store.lease(record.key, this.lease());
        if (leased) await this.work(leased);
      });
    });
  }
  /** Renews the sweep's lease; a failure is noted for a retry of the trigger, but the work goes on. */
  async keepSweeping() {
    try {
      await this.parts.schedule.ensure();
    } catch (error) {
      this.unexpected.push(error);
      this.log.error(`Could not renew the sweep schedule: ${errorMessage(error)}`);
    }
  }
  /** Polls in batches of 10 until the queue is empty; the action execution IDs of the jobs it took. */
  async drainQueue() {
    const taken = /* @__PURE__ */ new Set();
    const seen = /* @__PURE__ */ new Set();
    for (let round = 0; round < MAX_POLL_ROUNDS && this.hasTime(); round++) {
      const jobs = await this.parts.pipeline.pollForJobs({
        actionTypeId: this.parts.settings.actionType,
        maxBatchSize: POLL_BATCH
      });
      const fresh = jobs.filter((job) => job.id !== void 0 && !seen.has(job.id));
      if (fresh.length === 0) break;
      for (const job of fresh) seen.add(job.id);
      this.summary.polled += fresh.length;
      const keys = await Promise.all(fresh.map((job) => this.guard(job.id, () => this.take(job))));
      for (const key of keys) if (key !== void 0) taken.add(key);
    }
    return taken;
  }
  /** A polled job: claims it, or hands it to whoever has its record. Its key when it is the bridge's. */
  async take(job) {
    const nonce = job.nonce;
    if (nonce === void 0) return void 0;
    const context = job.data?.pipelineContext;
    const key = context?.action?.actionExecutionId ?? `job-${job.id}`;
    const reading = readTarget(job.data?.actionConfiguration?.configuration, this.parts.settings.allowedRepos);
    const claim = await this.parts.store.claim(
      key,
      {
        jobId: job.id,
        nonce,
        place: {
          pipeline: context?.pipelineName ?? "",
          executionId: context?.pipelineExecutionId ?? "",
          stage: context?.stage?.name ?? "",
          action: context?.action?.name ?? ""
        },
        ..."target" in reading ? { target: reading.target } : { outcome: configurationOutcome(reading.problems) }
      },
      this.lease()
    );
    if (claim.won) {
      this.log.info("Took a new job", {
        jobId: job.id,
        actionExecutionId: key,
        pipeline: context?.pipelineName,
        ..."target" in reading && {
          repository: `${reading.target.owner}/${reading.target.repo}`,
          workflow: reading.target.workflow
        }
      });
      await this.work(claim.record);
      return key;
    }
    const existing = claim.existing;
    if (existing?.jobId !== job.id || existing.phase === "closed") {
      this.log.debug("Leaving a job handed out again", {
        jobId: job.id,
        actionExecutionId: key,
        phase: existing?.phase
      });
      return void 0;
    }
    const leased = await this.parts.store.lease(key, this.lease(), { jobId: job.id, nonce });
    if (leased) await this.work(leased);
    else await this.parts.store.rememberNonce(key, job.id, nonce);
    return key;
  }
  /** Takes a record through its steps while it holds the lease, and lets go when there is nothing to do now. */
  async work(record) {
    let current = record;
    let started = false;
    for (let steps = 0; current !== void 0; steps++) {
      const step = nextStep(current, this.now);
      const fresh = started && step.kind === "check-run";
      if (step.kind === "wait" || fresh || steps >= MAX_STEPS || !this.hasTime()) {
        await this.letGo(current);
        return;
      }
      started ||= step.kind === "dispatch" || step.kind === "find-run";
      current = await this.perform(step, current);
    }
  }
  /** The record after the step, still leased; undefined once it is closed, let go of, or taken over. */
  async perform(step, record) {
    switch (step.kind) {
      case "stop":
        return this.stop(record);
      case "deliver":
        return this.deliver(record);
      case "forget":
        return this.close(record, "no job showed up in the queue");
      case "dispatch":
        return this.dispatch(record);
      case "find-run":
        return this.findRun(record);
      case "acknowledge":
        return this.acknowledge(record);
      case "check-run":
        return this.checkRun(record);
    }
  }
  async dispatch(record) {
    const target = record.target;
    const jobId = record.jobId;
    let ref;
    try {
      ref = record.ref ?? target.branch ?? await this.parts.github.defaultBranch(target.owner, target.repo);
      await this.parts.github.authorize(target.owner, target.repo);
    } catch (error) {
      return this.notStarted(record, error, record.ref ?? target.branch);
    }
    const marked = await this.save(record, { dispatchSentAt: this.now, ref });
    if (!marked) return void 0;
    let started;
    try {
      started = await this.parts.github.dispatch(target, ref, jobId);
    } catch (error) {
      if (!(error instanceof GitHubError && error.maybeDone)) return this.notStarted(marked, error, ref);
      this.log.warn("GitHub gave no answer to the dispatch; a run may have started: looking for it by name", {
        jobId,
        error: error.message
      });
      return this.save(marked, this.failedAttempt(marked, error.message));
    }
    let run = { runId: started.runId, runUrl: started.htmlUrl };
    if (run.runId === void 0) {
      const found = await this.lookForRun(target, jobId, marked.dispatchSentAt, true).catch(() => void 0);
      run = { runId: found?.id, runUrl: found?.html_url };
    }
    this.summary.dispatched.push(jobId);
    this.log.info("Started the workflow run", {
      jobId,
      repository: `${target.owner}/${target.repo}`,
      workflow: target.workflow,
      ref,
      ...run
    });
    return this.save(marked, {
      phase: "running",
      dispatchSentAt: void 0,
      dispatchedAt: this.now,
      ...run,
      nextAttemptAt: void 0
    });
  }
  /** Nothing was started: try again later, or fail the job when that will not help. */
  async notStarted(record, error, ref) {
    const target = record.target;
    const cleared = { dispatchSentAt: void 0 };
    if (error instanceof CredentialsError) {
      if (!error.retryable)
        return this.decide(record, credentialsOutcome(error, this.parts.settings.githubSecretId), cleared);
      return this.retryLater(record, error.message, cleared);
    }
    if (!(error instanceof GitHubError)) throw error;
    if (!error.retryable)
      return this.decide(record, refusedOutcome(error, target, ref, this.parts.settings.githubSecretId), cleared);
    return this.retryLater(record, error.message, cleared, error.retryAfterMs);
  }
  /** One more failed attempt at GitHub; the job fails once the retry window has passed. */
  failedAttempt(record, message) {
    return {
      attempts: (record.attempts ?? 0) + 1,
      firstFailureAt: record.firstFailureAt ?? this.now,
      lastError: message
    };
  }
  async retryLater(record, message, changes, retryAfterMs2) {
    const attempt = this.failedAttempt(record, message);
    const givenUp = this.giveUpAfterWindow(record, attempt.firstFailureAt, message, changes);
    if (givenUp !== void 0) return givenUp;
    const delay = backoffMs(attempt.attempts, this.parts.settings, this.parts.clock.random(), retryAfterMs2);
    this.log.warn(`GitHub is not available; trying again in ${Math.round(delay / 1e3)} s`, {
      jobId: record.jobId,
      attempts: attempt.attempts,
      error: message
    });
    return this.letGo(record, { ...changes, ...attempt, nextAttemptAt: this.now + delay });
  }
  /**
   * Once GitHub has failed for the whole retry window since `firstFailureAt`,
   * the job fails with SystemUnavailable, naming the last error; undefined
   * while there is time left.
   */
  giveUpAfterWindow(record, firstFailureAt, lastError, changes) {
    const { retryWindowMs } = this.parts.settings;
    if (this.now - firstFailureAt < retryWindowMs) return void 0;
    return this.decide(record, unavailableOutcome(record.target, lastError, retryWindowMs), changes);
  }
  /**
   * Looks for the run by the job ID in its name: after a dispatch whose
   * answer was lost, or for GitHub Enterprise Server, which does not return
   * the run. Only then is a dispatch ever made again.
   */
  async findRun(record) {
    const target = record.target;
    const jobId = record.jobId;
    const uncertain = record.phase === "dispatching";
    const since = (uncertain ? record.dispatchSentAt : record.dispatchedAt) ?? record.createdAt;
    let run;
    try {
      run = await this.lookForRun(target, jobId, since, false);
    } catch (error) {
      if (!(error instanceof GitHubError) || !error.retryable) {
        if (error instanceof GitHubError)
          return this.decide(record, refusedOutcome(error, target, record.ref, this.parts.settings.githubSecretId));
        throw error;
      }
      const attempt = this.failedAttempt(record, error.message);
      const givenUp = uncertain ? this.giveUpAfterWindow(record, attempt.firstFailureAt, error.message) : void 0;
      return givenUp ?? this.letGo(record, attempt);
    }
    if (run) {
      this.log.info("Found the workflow run by its name", { jobId, runId: run.id });
      if (uncertain) this.summary.dispatched.push(jobId);
      return this.save(record, {
        phase: "running",
        runId: run.id,
        runUrl: run.html_url,
        dispatchedAt: since,
        dispatchSentAt: void 0,
        nextAttemptAt: void 0
      });
    }
    const waited = this.now - since;
    if (!uncertain) {
      if (waited > this.parts.settings.queueTimeoutMs) return this.decide(record, noRunOutcome(target, jobId, waited));
      return this.letGo(record);
    }
    if (waited < dispatchGraceMs(this.parts.settings)) return this.letGo(record);
    this.log.info("The dispatch whose answer was lost made no run; dispatching again", { jobId });
    return this.giveUpAfterWindow(record, record.firstFailureAt ?? since, record.lastError, { dispatchSentAt: void 0 }) ?? this.save(record, { dispatchSentAt: void 0 });
  }
  /** The run whose name carries the job ID; with `quick`, tried a few times over a few seconds. */
  async lookForRun(target, jobId, since, quick) {
    for (const pause of quick ? [500, 1e3, 2e3, 0] : [0]) {
      const runs = await this.parts.github.recentRuns(target, since - 2 * 6e4);
      const named = runs.filter((run) => run.display_title?.includes(jobId)).sort((a, b) => a.id - b.id);
      if (named.length > 1)
        this.log.warn("More than one run carries the job ID; watching the first", {
          jobId,
          runs: named.map((run) => run.id)
        });
      if (named[0]) return named[0];
      if (pause > 0) await this.parts.clock.sleep(pause);
    }
    return void 0;
  }
  async acknowledge(record) {
    const jobId = record.jobId;
    try {
      const answer = await acknowledge(this.parts.pipeline, jobId, record.nonce);
      if (answer.outcome === "claimed") {
        if (answer.status !== void 0 && answer.status !== "InProgress")
          this.log.info(`Acknowledging the job answered ${answer.status}`, { jobId });
        return this.later(record, { acknowledged: true });
      }
      this.log.warn(`Could not acknowledge the job yet: ${this.explain(answer.refusal, jobId)}`, { jobId });
      return this.save(record, { nonce: void 0 });
    } catch (error) {
      if (!(error instanceof CodePipelineCallError)) throw error;
      this.log.warn(`Could not acknowledge the job yet: ${this.explain(error, jobId)}`, { jobId });
      if (errorCode(error.cause) === "JobNotFoundException") return this.save(record, { nonce: void 0 });
      return this.letGo(record);
    }
  }
  async checkRun(record) {
    const { owner, repo } = record.target;
    const runId = record.runId;
    let run;
    try {
      run = await this.parts.github.run(owner, repo, runId);
    } catch (error) {
      if (!(error instanceof GitHubError)) throw error;
      if (error.status === 404) return this.decide(record, runGoneOutcome(record.runUrl, runId));
      this.log.warn(`Could not read the workflow run: ${error.message}`, { jobId: record.jobId, runId });
      return this.letGo(record);
    }
    const verdict = judgeRun(run, this.now, this.parts.settings);
    if (verdict.kind === "watch") {
      return this.letGo(record, { nextCheckAt: verdict.nextCheckAt, runUrl: run.html_url });
    }
    if (verdict.kind === "queued-too-long") {
      await this.cancelRun(owner, repo, runId, record.jobId);
      return this.decide(record, queuedTooLongOutcome(run, verdict.queuedMs, this.parts.settings.queueTimeoutMs));
    }
    return this.decide(record, runEndedOutcome(run, record.jobId));
  }
  /** Keeps a result for the job, to be delivered at once (and again, until CodePipeline has it). */
  async decide(record, outcome2, changes = {}) {
    this.log.warn(`The job fails: ${outcome2.type}`, { jobId: record.jobId, reason: outcome2.message });
    return this.save(record, { ...changes, outcome: outcome2, outcomeAt: this.now });
  }
  /**
   * Tells CodePipeline the job failed: one PutJobFailureResult, after
   * acknowledging the job if that is still open. Kept and tried again at
   * each sweep until CodePipeline has it, within the retry window.
   */
  async deliver(record) {
    const jobId = record.jobId;
    const outcome2 = record.outcome;
    if (jobId === void 0) return this.close(record, "no job to answer");
    let acknowledged = record.acknowledged === true;
    let nonce = record.nonce;
    if (!acknowledged && nonce !== void 0) {
      try {
        const answer = await acknowledge(this.parts.pipeline, jobId, nonce);
        acknowledged = answer.outcome === "claimed";
        if (answer.outcome === "taken") {
          nonce = void 0;
          this.log.info(`The nonce is spent; sending the result anyway: ${this.explain(answer.refusal, jobId)}`, {
            jobId
          });
        }
      } catch (error) {
        if (!(error instanceof CodePipelineCallError)) throw error;
        this.log.info(`Could not acknowledge the job first; sending the result anyway: ${this.explain(error, jobId)}`, {
          jobId
        });
      }
    }
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
      await this.parts.pipeline.putJobFailureResult(request);
    } catch (error) {
      if (!(error instanceof CodePipelineCallError)) throw error;
      const code = errorCode(error.cause);
      if (error.landedEarlier("InvalidJobStateException")) return this.failed(record, outcome2);
      if (code === "InvalidJobStateException" && acknowledged) return this.answeredByRun(record);
      if (code === "JobNotFoundException") return this.close(record, "CodePipeline no longer has the job");
      this.log.error(`Could not tell CodePipeline the job failed: ${this.explain(error, jobId)}`, { jobId });
      if (this.now - (record.outcomeAt ?? record.createdAt) > this.parts.settings.retryWindowMs)
        return this.close(record, "CodePipeline did not take the result");
      return this.letGo(record, { acknowledged, nonce });
    }
    return this.failed(record, outcome2);
  }
  /**
   * CodePipeline already has the job's result, most likely from the run
   * itself. That result may have been progress with a continuation token:
   * CodePipeline then queues another job for the same action, without an
   * event, so the queue is looked at for a while as after a STARTED event.
   * The action's SUCCEEDED or FAILED event closes the record at once.
   */
  async answeredByRun(record) {
    this.log.info("CodePipeline already has a result for the job, most likely from the run itself", {
      jobId: record.jobId
    });
    return this.letGo(record, { phase: "expected", createdAt: this.now, outcome: void 0, outcomeAt: void 0 });
  }
  async failed(record, outcome2) {
    this.summary.failed.push({ jobId: record.jobId, type: outcome2.type });
    this.log.info(`Told CodePipeline the job failed: ${outcome2.type}`, { jobId: record.jobId, runId: record.runId });
    return this.close(record, `failed the job (${outcome2.type})`);
  }
  /** The pipeline execution was stopped or abandoned: its run, if any, is cancelled. */
  async stop(record) {
    const target = record.target;
    const jobId = record.jobId;
    const stopped = "the pipeline execution was stopped";
    if (target === void 0 || jobId === void 0) return this.close(record, stopped);
    try {
      let runId = record.runId;
      if (runId === void 0 && (record.dispatchSentAt !== void 0 || record.phase === "running")) {
        const since = record.dispatchSentAt ?? record.dispatchedAt ?? record.createdAt;
        runId = (await this.lookForRun(target, jobId, since, false))?.id;
        if (runId === void 0 && this.now - since < dispatchGraceMs(this.parts.settings)) return this.letGo(record);
      }
      if (runId !== void 0) await this.cancelRun(target.owner, target.repo, runId, jobId);
    } catch (error) {
      if (!(error instanceof GitHubError)) throw error;
      this.log.warn(`Could not cancel the run of the stopped execution yet: ${error.message}`, { jobId });
      if (error.retryable && this.now - (record.stoppedAt ?? record.createdAt) < this.parts.settings.retryWindowMs)
        return this.letGo(record);
    }
    return this.close(record, stopped);
  }
  async cancelRun(owner, repo, runId, jobId) {
    const cancelled = await this.parts.github.cancel(owner, repo, runId);
    this.log.info(cancelled ? "Cancelled the workflow run" : "The workflow run had already finished", { jobId, runId });
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
  /**
   * Changes that go with the record's next write. Only for what may be lost
   * in a crash: an acknowledgement not written down is made again, and
   * CodePipeline answers it the same.
   */
  later(record, changes) {
    this.deferred.set(record.key, { ...this.deferred.get(record.key), ...changes });
    return { ...record, ...changes };
  }
  /** Nothing more to do for now: writes the changes and lets go of the record, in one write, for a later sweep. */
  async letGo(record, changes = {}) {
    if (record) await this.save(record, { ...changes, leaseOwner: void 0, leaseUntil: void 0 });
    return void 0;
  }
  lease() {
    return { owner: this.invocation.owner, until: this.invocation.deadline + LEASE_MARGIN_MS };
  }
  hasTime(needMs = 0) {
    return this.invocation.deadline - this.now > this.reserveMs + needMs;
  }
  /** Runs one job's or record's work; an unexpected error is logged and noted, and the rest goes on. */
  async guard(subject, work) {
    try {
      return await work();
    } catch (error) {
      this.unexpected.push(error);
      this.log.error(`Failed on ${subject}: ${this.explain(error)}`);
      return void 0;
    }
  }
  explain(error, jobId) {
    if (error instanceof CodePipelineCallError) {
      return explainCallError(error, { jobId, ...CODEPIPELINE_CALLS });
    }
    return errorMessage(error);
  }
};
async function eachLimited(items, limit, work) {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++];
      if (item !== void 0) await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

// src/bridge/sweep-schedule.ts
var import_client_scheduler = require("@aws-sdk/client-scheduler");
var SWEEP_EVENT = { bridge: "sweep" };
var LEASE_MS = 15 * 6e4;
var RENEW_WHEN_LEFT_MS = 10 * 6e4;
var SweepSchedule = class {
  constructor(scheduler, settings, log, now = Date.now) {
    this.scheduler = scheduler;
    this.settings = settings;
    this.log = log;
    this.now = now;
  }
  scheduler;
  settings;
  log;
  now;
  /** How far this container last saw the lease reach; it does not ask again before it must. */
  knownUntil = 0;
  /** Makes sure the sweep runs for at least ten more minutes. */
  async ensure() {
    if (this.knownUntil - this.now() > RENEW_WHEN_LEFT_MS) return;
    const { Name, GroupName } = { Name: this.settings.scheduleName, GroupName: this.settings.groupName };
    const schedule = await this.scheduler.send(new import_client_scheduler.GetScheduleCommand({ Name, GroupName }));
    const now = this.now();
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

// src/bridge/json-log.ts
var RANK = { debug: 10, info: 20, warn: 30, error: 40 };
var MASK = "***";
var MIN_SECRET_LENGTH = 8;
var Logger = class _Logger {
  constructor(minimum, fields, secrets, write) {
    this.minimum = minimum;
    this.fields = fields;
    this.secrets = secrets;
    this.write = write;
  }
  minimum;
  fields;
  secrets;
  write;
  static create(level, write = (line) => void process.stdout.write(line)) {
    const minimum = RANK[level?.toLowerCase() ?? "info"] ?? RANK.info;
    return new _Logger(minimum, {}, /* @__PURE__ */ new Set(), write);
  }
  /** A logger that adds these fields to every line; it shares the secrets. */
  with(fields) {
    return new _Logger(this.minimum, { ...this.fields, ...fields }, this.secrets, this.write);
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
    const entry = { time: (/* @__PURE__ */ new Date()).toISOString(), level, message, ...this.fields, ...fields };
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

// src/bridge/state-store.ts
var import_client_dynamodb = require("@aws-sdk/client-dynamodb");
var TABLE = { key: "pk", openIndex: "open", openAttribute: "open", ttlAttribute: "expiresAt" };
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
  "closedBecause",
  "target",
  "outcome",
  "outcomeAt"
];
var StateStore = class {
  constructor(db, table, now = Date.now) {
    this.db = db;
    this.table = table;
    this.now = now;
  }
  db;
  table;
  now;
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
        { phase: "expected", place, createdAt: this.now(), [TABLE.openAttribute]: OPEN, ...this.expiry() },
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
    const now = this.now();
    const request = update(
      key,
      {
        phase: "dispatching",
        jobId: job.jobId,
        nonce: job.nonce,
        place: job.place,
        target: job.target,
        outcome: job.outcome,
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
      values: { ":open": OPEN, ":now": this.now(), ...handout && { ":jobId": handout.jobId } }
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
          ":now": attribute(this.now()),
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
    return { expiresAt: Math.floor(this.now() / 1e3) + RECORD_DAYS * 24 * 3600 };
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
function attribute(value) {
  if (typeof value === "string") return { S: value };
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
function toRecord(item) {
  const fields = {};
  for (const [name, value] of Object.entries(item)) {
    if (name === TABLE.openAttribute || name === TABLE.ttlAttribute) continue;
    fields[name === TABLE.key ? "key" : name] = plain(value);
  }
  return fields;
}

// src/bridge/index.ts
var container;
function createContainer(env) {
  const log = Logger.create(env.LOG_LEVEL);
  for (const secret of proxyCredentials(env)) log.secret(secret);
  announceProxy({ info: (message) => log.info(message), warning: (message) => log.warn(message) }, env);
  const settings = readSettings(env);
  const region = env.AWS_REGION;
  const aws = () => ({
    region,
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 3e3, requestTimeout: 5e3, ...proxyAgents() }
  });
  const db = new import_client_dynamodb2.DynamoDBClient(aws());
  const secrets = new import_client_secrets_manager.SecretsManagerClient(aws());
  const store = new StateStore(db, settings.tableName);
  const fetcher = agentFetch();
  const tokens = new SecretTokens(
    () => readSecret(secrets, settings.githubSecretId),
    settings.githubApiUrl,
    log,
    fetcher
  );
  const clock = {
    now: () => Date.now(),
    sleep: (ms) => timers.setTimeout(ms),
    random: () => Math.random()
  };
  return {
    settings,
    log,
    store,
    pipeline: new CodePipeline({ region, ...CODEPIPELINE_CALLS }, log),
    // GitHub's read retries wait on the same clock as the rest of the bridge.
    github: new GitHubApi(settings.githubApiUrl, tokens, log, fetcher, (ms) => clock.sleep(ms)),
    schedule: new SweepSchedule(new import_client_scheduler2.SchedulerClient(aws()), settings.sweep, log),
    clock
  };
}
async function readSecret(client, secretId) {
  try {
    const { SecretString } = await client.send(new import_client_secrets_manager.GetSecretValueCommand({ SecretId: secretId }));
    if (SecretString === void 0)
      throw new CredentialsError("The GitHub credentials secret has no text value.", false);
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
  container ??= createContainer(process.env);
  const log = container.log.with({ requestId: context.awsRequestId });
  const trigger = readTrigger(event, container.settings.actionType);
  const bridge = new Bridge(
    { ...container, log },
    {
      owner: `${context.awsRequestId}/${(0, import_node_crypto2.randomUUID)()}`,
      deadline: Date.now() + context.getRemainingTimeInMillis()
    },
    trigger
  );
  return bridge.handle(trigger);
}
// Annotate the CommonJS export names for ESM import in node:
0 && (module.exports = {
  handler
});
