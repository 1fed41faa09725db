export const id = 856;
export const ids = [856];
export const modules = {

/***/ 159:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Bs: () => (/* binding */ maskCredentials),
/* harmony export */   E1: () => (/* binding */ jobCredentialProvider)
/* harmony export */ });
/* unused harmony export JOB_CREDENTIALS_LIFETIME_MS */
/* harmony import */ var _actions_core__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(6257);

/**
 * How long job credentials are trusted. AWS documents no lifetime; 15 minutes
 * is what the service has been seen to give, and the SDK refreshes them 5
 * minutes before this.
 */
const JOB_CREDENTIALS_LIFETIME_MS = 15 * 60 * 1000;
/**
 * The job's temporary S3 credentials as an SDK credential provider: the first
 * set as handed out, fresh ones from GetJobDetails before they expire. Every
 * set is masked before the SDK can use, and so print, it.
 */
function jobCredentialProvider(initial, refresh, now = Date.now) {
    let next = initial;
    return async () => {
        const credentials = next ?? (await refresh());
        next = undefined;
        if (!credentials?.accessKeyId || !credentials.secretAccessKey) {
            throw new Error('CodePipeline gave no artifact credentials for this job.');
        }
        maskCredentials(credentials);
        return {
            accessKeyId: credentials.accessKeyId,
            secretAccessKey: credentials.secretAccessKey,
            sessionToken: credentials.sessionToken,
            expiration: new Date(now() + JOB_CREDENTIALS_LIFETIME_MS)
        };
    };
}
function maskCredentials(credentials) {
    for (const value of [credentials?.accessKeyId, credentials?.secretAccessKey, credentials?.sessionToken]) {
        if (value)
            _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .setSecret */ .Pq(value);
    }
}


/***/ }),

/***/ 3856:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   shipOutputArtifacts: () => (/* binding */ shipOutputArtifacts)
/* harmony export */ });
/* harmony import */ var _actions_core__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(6257);
/* harmony import */ var _aws_errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(5148);
/* harmony import */ var _codepipeline_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(8144);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(3916);
/* harmony import */ var _artifacts_job_credentials_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(159);
/* harmony import */ var _artifacts_output_mapping_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(8661);






/**
 * Puts the build's output artifacts where the job says, before any result is
 * reported: a success is only reported once every artifact is in place.
 * Reads the job for its output locations, key and S3 credentials.
 */
async function shipOutputArtifacts(lines, pipeline, aws, jobId, workspace = process.env.GITHUB_WORKSPACE || process.cwd()) {
    let details;
    try {
        details = await pipeline.getJobDetails(jobId);
    }
    catch (error) {
        if (!(error instanceof _codepipeline_js__WEBPACK_IMPORTED_MODULE_2__/* .CodePipelineCallError */ .Wq))
            throw error;
        const reason = (0,_aws_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .explainAwsError */ .Ni)(error.cause, { operation: error.operation, jobId, region: aws.region });
        return { ok: false, type: 'JobFailed', message: `Could not read the job's output artifact locations: ${reason}` };
    }
    const data = details?.data;
    (0,_artifacts_job_credentials_js__WEBPACK_IMPORTED_MODULE_4__/* .maskCredentials */ .Bs)(data?.artifactCredentials);
    let plans;
    try {
        plans = (0,_artifacts_output_mapping_js__WEBPACK_IMPORTED_MODULE_5__/* .planOutputArtifacts */ .K)(lines, data?.outputArtifacts ?? [], workspace);
    }
    catch (error) {
        if (!(error instanceof _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .dz))
            throw error;
        return { ok: false, type: 'ConfigurationError', message: error.message };
    }
    if (!data?.artifactCredentials) {
        return { ok: false, type: 'JobFailed', message: 'CodePipeline gave no artifact credentials with the job.' };
    }
    const store = await Promise.all(/* import() */[__webpack_require__.e(68), __webpack_require__.e(614)]).then(__webpack_require__.bind(__webpack_require__, 6614));
    const key = data.encryptionKey?.type === 'KMS' ? data.encryptionKey.id : undefined;
    try {
        const uploaded = await store.uploadOutputs(plans, {
            region: await pipeline.region,
            credentials: data.artifactCredentials,
            refresh: async () => (await pipeline.getJobDetails(jobId))?.data?.artifactCredentials,
            maxAttempts: aws.maxAttempts
        }, key, (artifact) => _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .info */ .pq(`Uploaded output artifact ${artifact.name} (${artifact.bytes} bytes) to s3://${artifact.bucketName}/${artifact.objectKey}.`));
        return { ok: true, uploaded };
    }
    catch (error) {
        if (!(error instanceof store.ArtifactError))
            throw error;
        _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .debug */ .Yz(`Upload failed: ${String(error.cause)}`);
        return { ok: false, type: 'JobFailed', message: error.message };
    }
}


/***/ })

};
