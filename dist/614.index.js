export const id = 614;
export const ids = [614];
export const modules = {

/***/ 6614:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  ArtifactError: () => (/* reexport */ ArtifactError),
  downloadInputs: () => (/* binding */ downloadInputs),
  uploadOutputs: () => (/* binding */ uploadOutputs)
});

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(1455);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(8161);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
// EXTERNAL MODULE: external "node:stream/promises"
var external_node_stream_promises_ = __webpack_require__(6466);
// EXTERNAL MODULE: ./node_modules/@aws-sdk/client-s3/dist-cjs/index.js
var dist_cjs = __webpack_require__(3711);
;// CONCATENATED MODULE: ./src/artifacts/artifact-error.ts
/** Raised when one artifact could not be moved; names it and the direction. */
class ArtifactError extends Error {
    direction;
    artifact;
    constructor(direction, artifact, cause) {
        super(`${direction} artifact ${artifact}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
        this.direction = direction;
        this.artifact = artifact;
        this.name = 'ArtifactError';
    }
}

// EXTERNAL MODULE: ./node_modules/yauzl/index.js
var yauzl = __webpack_require__(663);
;// CONCATENATED MODULE: ./src/artifacts/paths.ts

/** True when `path` is `root` itself or lies below it. Both must be absolute and resolved. */
function isInside(root, path) {
    const rest = (0,external_node_path_.relative)(root, path);
    return rest === '' || (!(0,external_node_path_.isAbsolute)(rest) && rest !== '..' && !rest.startsWith(`..${external_node_path_.sep}`));
}

;// CONCATENATED MODULE: ./src/artifacts/unzip.ts






const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;
/** A link target is a path, not data: anything longer is not one. */
const MAX_LINK_TARGET = 4096;
/** Beyond these an archive is a bomb, not an artifact: it would fill the runner's disk. */
const MAX_ENTRIES = 500_000;
const MAX_UNCOMPRESSED_BYTES = 20 * 1024 ** 3;
/**
 * Extracts a zip file into `destination`, which must be empty or absent,
 * reading the zip's central directory, which a streaming reader can misread.
 * Every entry is checked before anything is written: no entry may land
 * outside the destination or be written through a symbolic link, and no link
 * may point outside it. Executable bits are kept.
 */
async function extractZip(file, destination) {
    const root = (0,external_node_path_.resolve)(destination);
    // yauzl itself refuses absolute names and '..' segments while reading them.
    const zip = await (0,yauzl/* openPromise */.sO)(file, {
        lazyEntries: true,
        autoClose: false,
        decodeStrings: true,
        validateEntrySizes: true
    });
    try {
        const planned = [];
        const links = new Set();
        let bytes = 0;
        for await (const entry of zip.eachEntry()) {
            bytes += entry.uncompressedSize;
            if (planned.length >= MAX_ENTRIES || bytes > MAX_UNCOMPRESSED_BYTES) {
                throw new Error(`the archive holds more than ${MAX_ENTRIES} entries or ${MAX_UNCOMPRESSED_BYTES / 1024 ** 3} GiB`);
            }
            const item = await plan(zip, entry, root, links);
            if (item.kind === 'symlink')
                links.add(item.target);
            planned.push(item);
        }
        await (0,promises_.mkdir)(root, { recursive: true });
        for (const item of planned)
            await write(zip, item);
        await checkLinksStayInside(root, planned);
        return planned.length;
    }
    finally {
        zip.close();
    }
}
async function plan(zip, entry, root, links) {
    const target = (0,external_node_path_.resolve)(root, entry.fileName);
    if (!isInside(root, target)) {
        throw new Error(`entry ${JSON.stringify(entry.fileName)} would be written outside the destination`);
    }
    for (let parent = (0,external_node_path_.dirname)(target); parent !== root && isInside(root, parent); parent = (0,external_node_path_.dirname)(parent)) {
        if (links.has(parent))
            throw new Error(`entry ${JSON.stringify(entry.fileName)} would be written through a symbolic link`);
    }
    const mode = entry.externalFileAttributes >>> 16;
    const type = mode & S_IFMT;
    if (entry.fileName.endsWith('/') || type === S_IFDIR)
        return { entry, target, kind: 'directory', executable: false };
    if (type !== S_IFLNK)
        return { entry, target, kind: 'file', executable: (mode & 0o111) !== 0 };
    if (entry.uncompressedSize > MAX_LINK_TARGET)
        throw new Error(`entry ${JSON.stringify(entry.fileName)} is a symbolic link with a ${entry.uncompressedSize}-byte target`);
    const linkTarget = (await readAll(await zip.openReadStreamPromise(entry))).toString('utf8');
    if (!isInside(root, (0,external_node_path_.resolve)((0,external_node_path_.dirname)(target), linkTarget))) {
        throw new Error(`entry ${JSON.stringify(entry.fileName)} is a symbolic link to ${JSON.stringify(linkTarget)}, outside the destination`);
    }
    return { entry, target, kind: 'symlink', executable: false, linkTarget };
}
async function write(zip, item) {
    if (item.kind === 'directory') {
        await (0,promises_.mkdir)(item.target, { recursive: true });
        return;
    }
    await (0,promises_.mkdir)((0,external_node_path_.dirname)(item.target), { recursive: true });
    if (item.kind === 'symlink') {
        await (0,promises_.symlink)(item.linkTarget, item.target);
        return;
    }
    // An earlier entry may have made a link here; never write through it.
    const existing = await (0,promises_.readlink)(item.target).catch(() => undefined);
    if (existing !== undefined)
        throw new Error(`entry ${JSON.stringify(item.entry.fileName)} would write through a symbolic link`);
    await (0,external_node_stream_promises_.pipeline)(await zip.openReadStreamPromise(item.entry), (0,external_node_fs_.createWriteStream)(item.target, { mode: item.executable ? 0o755 : 0o644 }));
}
/**
 * Links that each point inside can still lead out together (`a -> .` and
 * `b -> a/..`), so every link is followed once all are written. On a link that
 * leads out, everything extracted is removed.
 */
async function checkLinksStayInside(root, planned) {
    const realRoot = await (0,promises_.realpath)(root);
    for (const item of planned) {
        if (item.kind !== 'symlink')
            continue;
        const real = await (0,promises_.realpath)(item.target).catch(async () => (0,external_node_path_.resolve)(await (0,promises_.realpath)((0,external_node_path_.dirname)(item.target)), item.linkTarget));
        if (!isInside(realRoot, real)) {
            await (0,promises_.rm)(root, { recursive: true, force: true });
            throw new Error(`entry ${JSON.stringify(item.entry.fileName)} is a symbolic link that leads outside the destination, through other links`);
        }
    }
}
async function readAll(stream) {
    const chunks = [];
    for await (const chunk of stream)
        chunks.push(chunk);
    return Buffer.concat(chunks);
}

;// CONCATENATED MODULE: ./src/artifacts/download.ts








/**
 * Downloads each input artifact into `<root>/<ArtifactName>/`. Each object goes
 * to a temporary file first; a zip, known by its first bytes and not its key,
 * is then extracted, and anything else is saved as it is.
 */
async function downloadInputArtifacts(inputs, root, s3, temporaryRoot = process.env.RUNNER_TEMP || (0,external_node_os_.tmpdir)()) {
    const downloaded = [];
    const scratch = await (0,promises_.mkdtemp)((0,external_node_path_.join)(temporaryRoot, 'codepipeline-input-'));
    try {
        for (const input of inputs) {
            const name = input.name ?? '';
            try {
                downloaded.push(await downloadOne(input, (0,external_node_path_.resolve)(root, name), s3, (0,external_node_path_.join)(scratch, 'artifact')));
            }
            catch (error) {
                throw new ArtifactError('Input', name, error);
            }
        }
    }
    finally {
        await (0,promises_.rm)(scratch, { recursive: true, force: true });
    }
    return downloaded;
}
async function downloadOne(input, destination, s3, file) {
    const { bucketName, objectKey } = input.location?.s3Location ?? {};
    if (!bucketName || !objectKey)
        throw new Error('the job gives no S3 location for it');
    const existing = await (0,promises_.readdir)(destination).catch(() => []);
    if (existing.length > 0)
        throw new Error(`${destination} is not empty; download into a new directory`);
    const object = await s3.send(new dist_cjs/* GetObjectCommand */.jLs({ Bucket: bucketName, Key: objectKey }));
    if (!object.Body)
        throw new Error(`s3://${bucketName}/${objectKey} has no body`);
    await (0,external_node_stream_promises_.pipeline)(object.Body, (0,external_node_fs_.createWriteStream)(file));
    const { size: bytes } = await (0,promises_.stat)(file);
    await (0,promises_.mkdir)(destination, { recursive: true });
    if (isZip(await firstBytes(file))) {
        const entries = await extractZip(file, destination);
        return { name: input.name, path: destination, format: 'zip', bytes, entries };
    }
    await (0,promises_.copyFile)(file, (0,external_node_path_.join)(destination, (0,external_node_path_.basename)(objectKey)));
    return { name: input.name, path: destination, format: 'raw', bytes };
}
/** A zip starts with a local file header, or is an empty archive's end record. */
function isZip(head) {
    return (head.length >= 4 &&
        head[0] === 0x50 &&
        head[1] === 0x4b &&
        ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6)));
}
async function firstBytes(file) {
    const handle = await (0,promises_.open)(file);
    try {
        const buffer = Buffer.alloc(4);
        const { bytesRead } = await handle.read(buffer, 0, 4, 0);
        return buffer.subarray(0, bytesRead);
    }
    finally {
        await handle.close();
    }
}

// EXTERNAL MODULE: ./src/artifacts/job-credentials.ts
var job_credentials = __webpack_require__(159);
// EXTERNAL MODULE: ./src/version.ts
var version = __webpack_require__(311);
;// CONCATENATED MODULE: ./src/artifacts/s3.ts


/**
 * An S3 client for the pipeline's artifact bucket: the pipeline's Region, the
 * job's credentials, and the SDK's own AWS_ENDPOINT_URL_S3 when set.
 */
function artifactStoreClient(region, credentials, maxAttempts) {
    return new dist_cjs/* S3Client */.YxF({
        region,
        credentials,
        maxAttempts,
        retryMode: 'standard',
        customUserAgent: [[version/* ACTION_NAME */.p, version/* ACTION_VERSION */.Y]],
        // The artifact store is in the pipeline's Region, but a redirect costs only a retry.
        followRegionRedirects: true,
        // A stalled transfer must fail and be retried, not hold the step until the job times out.
        requestHandler: {
            connectionTimeout: 10_000,
            requestTimeout: 120_000,
            socketTimeout: 120_000,
            throwOnRequestTimeout: true
        }
    });
}

// EXTERNAL MODULE: external "node:zlib"
var external_node_zlib_ = __webpack_require__(8522);
;// CONCATENATED MODULE: ./src/artifacts/multipart.ts


/**
 * Uploads a stream of unknown length to S3 with memory that stays flat: parts
 * are filled into a fixed set of buffers, allocated once and reused, so a
 * large artifact costs no more memory than a small one. A stream shorter than
 * one part goes up with a single PutObject.
 */
async function uploadStream(s3, params, body, options) {
    const free = Array.from({ length: options.concurrency }, () => Buffer.allocUnsafe(options.partSize));
    const waiting = [];
    const takeBuffer = () => free.length > 0 ? Promise.resolve(free.pop()) : new Promise((resolve) => waiting.push(resolve));
    const giveBack = (buffer) => {
        const next = waiting.shift();
        if (next)
            next(buffer);
        else
            free.push(buffer);
    };
    let uploadId;
    const completed = [];
    const inFlight = new Set();
    let failure;
    let bytes = 0;
    let partNumber = 0;
    const sendPart = async (buffer, length) => {
        const number = ++partNumber;
        // Created once, by the first part; the others wait for its ID.
        uploadId ??= s3
            .send(new dist_cjs/* CreateMultipartUploadCommand */.nG4({ ...params, ChecksumAlgorithm: 'CRC32' }))
            .then((created) => created.UploadId);
        const part = buffer.subarray(0, length);
        const { ETag, ChecksumCRC32 } = await s3.send(new dist_cjs/* UploadPartCommand */.iVK({
            Bucket: params.Bucket,
            Key: params.Key,
            UploadId: await uploadId,
            PartNumber: number,
            Body: part,
            ChecksumCRC32: crc32Base64(part)
        }));
        completed.push({ PartNumber: number, ETag, ChecksumCRC32 });
    };
    const dispatch = (buffer, length) => {
        const sending = sendPart(buffer, length)
            .catch((error) => {
            failure ??= error;
        })
            .finally(() => {
            inFlight.delete(sending);
            giveBack(buffer);
        });
        inFlight.add(sending);
    };
    let current = await takeBuffer();
    let filled = 0;
    try {
        for await (const chunk of body) {
            if (failure)
                break;
            bytes += chunk.length;
            let offset = 0;
            while (offset < chunk.length) {
                const copied = chunk.copy(current, filled, offset);
                filled += copied;
                offset += copied;
                if (filled === options.partSize) {
                    dispatch(current, filled);
                    current = await takeBuffer();
                    filled = 0;
                }
            }
        }
        if (failure)
            throw failure;
        if (partNumber === 0) {
            const whole = current.subarray(0, filled);
            await s3.send(new dist_cjs/* PutObjectCommand */.wKZ({ ...params, Body: whole, ChecksumCRC32: crc32Base64(whole) }));
            return { bytes, parts: 1 };
        }
        if (filled > 0)
            dispatch(current, filled);
        await Promise.all(inFlight);
        if (failure)
            throw failure;
        completed.sort((a, b) => a.PartNumber - b.PartNumber);
        await s3.send(new dist_cjs/* CompleteMultipartUploadCommand */.Gym({
            Bucket: params.Bucket,
            Key: params.Key,
            UploadId: await uploadId,
            MultipartUpload: { Parts: completed }
        }));
        return { bytes, parts: completed.length };
    }
    catch (error) {
        await Promise.allSettled(inFlight);
        const started = await uploadId?.catch(() => undefined);
        if (started) {
            // Parts left behind are billed until aborted.
            await s3
                .send(new dist_cjs/* AbortMultipartUploadCommand */.tfP({ Bucket: params.Bucket, Key: params.Key, UploadId: started }))
                .catch(() => undefined);
        }
        throw error;
    }
}
/**
 * The part's CRC32 as S3 wants it, computed here rather than by the SDK,
 * whose generic checksum path allocates on every part and lets memory climb.
 */
function crc32Base64(data) {
    const checksum = Buffer.alloc(4);
    checksum.writeUInt32BE((0,external_node_zlib_.crc32)(data));
    return checksum.toString('base64');
}

// EXTERNAL MODULE: ./node_modules/yazl/index.js
var yazl = __webpack_require__(3044);
;// CONCATENATED MODULE: ./src/artifacts/zip-writer.ts





/** Already compressed: deflating these again costs time and saves nothing. */
const COMPRESSED = /\.(zip|jar|war|ear|gz|tgz|bz2|xz|zst|7z|png|jpe?g|gif|webp|mp4|woff2?)$/i;
/** Files at least this large are sampled before they are deflated. */
const SAMPLE_BYTES = 256 * 1024;
/**
 * A zip of a directory's contents, as a stream: entries relative to the
 * directory, in sorted order, with their modes, empty directories kept.
 * Symbolic links are followed only where they stay inside the directory.
 */
function zipDirectory(root) {
    const realRoot = (0,external_node_fs_.realpathSync)(root);
    const entries = [];
    collect(realRoot, realRoot, '', entries, new Set([realRoot]));
    return zipEntries(entries);
}
/** A zip with one file at its root, under the file's own name. */
function zipSingleFile(path) {
    return zipEntries([{ realPath: (0,external_node_fs_.realpathSync)(path), zipPath: (0,external_node_path_.basename)(path), directory: false }]);
}
function collect(realRoot, directory, prefix, entries, visiting) {
    const names = (0,external_node_fs_.readdirSync)(directory).sort();
    if (names.length === 0 && prefix !== '')
        entries.push({ realPath: directory, zipPath: prefix, directory: true });
    for (const name of names) {
        const path = (0,external_node_path_.join)(directory, name);
        const zipPath = prefix === '' ? name : `${prefix}/${name}`;
        let realPath = path;
        if ((0,external_node_fs_.lstatSync)(path).isSymbolicLink()) {
            realPath = (0,external_node_fs_.realpathSync)(path);
            if (!isInside(realRoot, realPath)) {
                throw new Error(`${zipPath} is a symbolic link to ${realPath}, outside the directory being zipped`);
            }
        }
        const stats = (0,external_node_fs_.statSync)(realPath);
        if (stats.isDirectory()) {
            if (visiting.has(realPath))
                throw new Error(`${zipPath} links back into itself`);
            visiting.add(realPath);
            collect(realRoot, realPath, zipPath, entries, visiting);
            visiting.delete(realPath);
        }
        else if (stats.isFile()) {
            entries.push({ realPath, zipPath, directory: false });
        }
        else {
            throw new Error(`${zipPath} is not a regular file (a socket, pipe or device), so it cannot go into an artifact`);
        }
    }
}
/**
 * Deflating data that does not shrink is the slowest part of a large upload,
 * so a large file is stored as it is when a sample of it barely compresses.
 */
function worthDeflating(entry, size) {
    if (COMPRESSED.test(entry.zipPath))
        return false;
    if (size < SAMPLE_BYTES)
        return true;
    const sample = Buffer.alloc(SAMPLE_BYTES);
    const fd = (0,external_node_fs_.openSync)(entry.realPath, 'r');
    try {
        const read = (0,external_node_fs_.readSync)(fd, sample, 0, SAMPLE_BYTES, 0);
        return (0,external_node_zlib_.deflateRawSync)(sample.subarray(0, read), { level: 1 }).length < read * 0.9;
    }
    finally {
        (0,external_node_fs_.closeSync)(fd);
    }
}
function zipEntries(entries) {
    const zip = new yazl/* ZipFile */.u();
    for (const entry of entries) {
        const stats = (0,external_node_fs_.statSync)(entry.realPath);
        if (entry.directory) {
            zip.addEmptyDirectory(entry.zipPath, { mode: stats.mode, mtime: stats.mtime });
        }
        else {
            // yazl opens each file only when it gets to it, so memory stays flat.
            zip.addFile(entry.realPath, entry.zipPath, {
                mode: stats.mode,
                mtime: stats.mtime,
                compress: worthDeflating(entry, stats.size)
            });
        }
    }
    const output = zip.outputStream;
    // A file that vanishes or changes while it is read fails the upload, instead of the process.
    zip.on('error', (error) => output.destroy(error));
    zip.end();
    return output;
}

;// CONCATENATED MODULE: ./src/artifacts/upload.ts





/** Parts of 8 MiB, four at once: four 8 MiB buffers in all, whatever the artifact's size. */
const PART_SIZE = 8 * 1024 * 1024;
const CONCURRENCY = 4;
/**
 * Uploads each output artifact as a zip to the location the job gave it, one
 * after another, with SSE-KMS: the job's key when it has one, otherwise the
 * AWS-managed key. The zip is made as it is sent, never held in memory.
 */
async function uploadOutputArtifacts(plans, s3, kmsKeyId, onUploaded = () => undefined) {
    const uploaded = [];
    for (const plan of plans) {
        try {
            const body = await zipStream(plan);
            const { bytes } = await uploadStream(s3, {
                Bucket: plan.bucketName,
                Key: plan.objectKey,
                ContentType: 'application/zip',
                ServerSideEncryption: 'aws:kms',
                ...(kmsKeyId !== undefined && { SSEKMSKeyId: kmsKeyId })
            }, body, { partSize: PART_SIZE, concurrency: CONCURRENCY });
            const artifact = { name: plan.name, bytes, bucketName: plan.bucketName, objectKey: plan.objectKey };
            uploaded.push(artifact);
            onUploaded(artifact);
        }
        catch (error) {
            throw new ArtifactError('Output', plan.name, error);
        }
    }
    return uploaded;
}
async function zipStream(plan) {
    if (plan.kind === 'directory')
        return zipDirectory(plan.path);
    if (plan.kind === 'file')
        return zipSingleFile(plan.path);
    await checkZip(plan.path);
    return (0,external_node_fs_.createReadStream)(plan.path);
}
/** A .zip goes up as it is, so it must be one: later actions will open it. */
function checkZip(path) {
    return new Promise((resolve, reject) => {
        (0,yauzl/* open */.ho)(path, { lazyEntries: true }, (error, zip) => {
            if (error)
                return reject(new Error(`${path} is not a readable zip file (${error.message})`));
            zip.close();
            resolve();
        });
    });
}

;// CONCATENATED MODULE: ./src/artifacts/store.ts




function client(access) {
    return artifactStoreClient(access.region, (0,job_credentials/* jobCredentialProvider */.E1)(access.credentials, access.refresh), access.maxAttempts);
}
async function uploadOutputs(plans, access, kmsKeyId, onUploaded) {
    const s3 = client(access);
    try {
        return await uploadOutputArtifacts(plans, s3, kmsKeyId, onUploaded);
    }
    finally {
        s3.destroy();
    }
}
async function downloadInputs(inputs, root, access) {
    const s3 = client(access);
    try {
        return await downloadInputArtifacts(inputs, root, s3);
    }
    finally {
        s3.destroy();
    }
}



/***/ })

};
