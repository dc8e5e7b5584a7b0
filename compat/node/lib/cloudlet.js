'use strict';
// Test support for the Node SDK compatibility suite: starts a real cloudlet process on a loopback
// port, keeps every HTTP exchange the process makes (so a failing step can show the exact request
// and response), and refuses any connection to a host other than 127.0.0.1.
//
// This file lives outside test/ on purpose: `node --test` runs every .js file under a test/ folder.

const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const TESTDATA = path.join(REPO_ROOT, 'testdata');
const LOOPBACK = '127.0.0.1';
const READY_TIMEOUT_MS = 15000;
const KEPT_EXCHANGES = 12;
const SHOWN_BODY_CHARS = 1500;

function testdata(name) {
  const file = path.join(TESTDATA, name);
  if (!fs.existsSync(file)) {
    throw new Error(`missing test fixture ${file} (expected in the repository's testdata/ folder)`);
  }
  return file;
}

function md5(buf) {
  return crypto.createHash('md5').update(buf).digest('hex');
}

function sha1(text) {
  return crypto.createHash('sha1').update(text).digest('hex');
}

// --- loopback guard and exchange log --------------------------------------------------------

const exchanges = [];

function printable(buf) {
  const text = (Buffer.isBuffer(buf) ? buf.toString('latin1') : String(buf))
    .replace(/(filename="[^"]*"\r\n(?:[^\r\n]+\r\n)*\r\n)([\s\S]*?)(\r\n--)/g,
      (_, head, content, tail) => `${head}<${content.length} bytes of file content>${tail}`);
  const clean = text.replace(/[^\x09\x0a\x0d\x20-\x7e]/g, '.');
  return clean.length > SHOWN_BODY_CHARS
    ? `${clean.slice(0, SHOWN_BODY_CHARS)}... (${clean.length} chars)`
    : clean;
}

function remember(exchange) {
  exchanges.push(exchange);
  if (exchanges.length > KEPT_EXCHANGES) exchanges.shift();
}

function hostOf(options) {
  if (typeof options === 'string' || options instanceof URL) return new URL(options).hostname;
  return options.hostname || (options.host || '').replace(/:\d+$/, '');
}

// The SDK looks up `request` on the http module at call time, so wrapping the exported function
// sees every call it makes. https is refused outright: nothing in this suite may leave loopback.
function installLoopbackGuard() {
  if (http.request.cloudletGuard) return;
  const original = http.request;
  const guarded = function request(options, ...rest) {
    const host = hostOf(options);
    if (host !== LOOPBACK) {
      throw new Error(`compat suite refused a connection to ${host}: only ${LOOPBACK} is allowed`);
    }
    const exchange = {
      method: options.method || 'GET',
      url: `http://${host}:${options.port}${options.path}`,
      requestChunks: [],
      status: null,
      responseChunks: [],
    };
    remember(exchange);
    const cbIndex = rest.findIndex((arg) => typeof arg === 'function');
    if (cbIndex >= 0) {
      const callback = rest[cbIndex];
      rest[cbIndex] = (res) => {
        exchange.status = res.statusCode;
        exchange.headers = res.headers;
        res.on('data', (chunk) => exchange.responseChunks.push(Buffer.from(chunk)));
        callback(res);
      };
    }
    const req = original.call(http, options, ...rest);
    const write = req.write;
    req.write = function (chunk, ...args) {
      exchange.requestChunks.push(Buffer.from(chunk));
      return write.call(this, chunk, ...args);
    };
    return req;
  };
  guarded.cloudletGuard = true;
  http.request = guarded;
  https.request = function refused(options) {
    throw new Error(`compat suite refused an https connection to ${hostOf(options)}: only http://${LOOPBACK} is allowed`);
  };
}

function requestBody(exchange) {
  return Buffer.concat(exchange.requestChunks);
}

function lastExchange(predicate = () => true) {
  for (let i = exchanges.length - 1; i >= 0; i--) {
    if (predicate(exchanges[i])) return exchanges[i];
  }
  return null;
}

function describeExchanges(count = 3) {
  return exchanges.slice(-count).map((ex) => [
    `  > ${ex.method} ${ex.url}`,
    `  > body: ${printable(requestBody(ex))}`,
    `  < status: ${ex.status}`,
    `  < body: ${printable(Buffer.concat(ex.responseChunks))}`,
  ].join('\n')).join('\n');
}

// --- plain HTTP client for delivery URLs ----------------------------------------------------

function fetchBytes(url, { headers = {} } = {}) {
  const parsed = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({
      hostname: parsed.hostname,
      port: parsed.port,
      path: parsed.pathname + parsed.search,
      method: 'GET',
      headers,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(10000, () => req.destroy(new Error(`timeout fetching ${url}`)));
    req.end();
  });
}

// --- the cloudlet process -------------------------------------------------------------------

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, LOOPBACK, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

function requireBinary() {
  const bin = process.env.CLOUDLET_BIN;
  if (!bin) {
    throw new Error('CLOUDLET_BIN is not set: build the server (go build -o bin/cloudlet .) and export CLOUDLET_BIN=/abs/path/to/bin/cloudlet');
  }
  if (!path.isAbsolute(bin) || !fs.existsSync(bin)) {
    throw new Error(`CLOUDLET_BIN=${bin} is not an absolute path to an existing file`);
  }
  return bin;
}

// extraArgs are more `cloudlet serve` flags, e.g. --remote-type for a suite's own origin.
async function startCloudlet({ cloud, key, secret }, extraArgs = []) {
  const bin = requireBinary();
  const port = await freePort();
  const base = `http://${LOOPBACK}:${port}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cloudlet-compat-node-'));
  const dataDir = path.join(dir, 'data');
  fs.mkdirSync(dataDir);
  const logLines = [];
  const child = spawn(bin, [
    'serve',
    '--addr', `${LOOPBACK}:${port}`,
    '--data', dataDir,
    '--public-url', base,
    '--cloud', `cloudinary://${key}:${secret}@${cloud}`,
    ...extraArgs,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (chunk) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line) logLines.push(line);
    }
    if (logLines.length > 200) logLines.splice(0, logLines.length - 200);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });

  const server = {
    base,
    port,
    host: `${LOOPBACK}:${port}`,
    logTail: (n = 30) => logLines.slice(-n).join('\n'),
    async stop() {
      if (exited === null) {
        child.kill('SIGTERM');
        for (let i = 0; i < 50 && exited === null; i++) await sleep(100);
        if (exited === null) child.kill('SIGKILL');
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };

  const auth = Buffer.from(`${key}:${secret}`).toString('base64');
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (exited !== null) {
      await server.stop();
      throw new Error(`cloudlet exited before it was ready (${JSON.stringify(exited)}):\n${server.logTail()}`);
    }
    try {
      const res = await fetchBytes(`${base}/v1_1/${cloud}/ping`, { headers: { Authorization: `Basic ${auth}` } });
      last = `${res.status} ${res.body.toString('utf8')}`;
      if (res.status === 200 && JSON.parse(res.body.toString('utf8')).status === 'ok') return server;
    } catch (err) {
      last = err.message;
    }
    await sleep(100);
  }
  await server.stop();
  throw new Error(`cloudlet was not ready within ${READY_TIMEOUT_MS} ms (last ping: ${last}):\n${server.logTail()}`);
}

// Requires the SDK only after CLOUDINARY_URL points at the server: the uploader chooses http or
// https once, when it is first loaded, from upload_prefix.
function loadSDK(server, { cloud, key, secret }) {
  installLoopbackGuard();
  process.env.CLOUDINARY_URL = `cloudinary://${key}:${secret}@${cloud}?upload_prefix=${server.base}`;
  const cloudinary = require('cloudinary').v2;
  if (cloudinary.config().upload_prefix !== server.base) {
    throw new Error(`SDK did not pick up upload_prefix from CLOUDINARY_URL: ${cloudinary.config().upload_prefix}`);
  }
  return cloudinary;
}

// --- image headers --------------------------------------------------------------------------

function jpegSize(buf) {
  let i = 2;
  while (i + 9 < buf.length) {
    if (buf[i] !== 0xff) { i++; continue; }
    const marker = buf[i + 1];
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0xff) { i += marker === 0xff ? 1 : 2; continue; }
    const len = buf.readUInt16BE(i + 2);
    const isSOF = marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker);
    if (isSOF) return { width: buf.readUInt16BE(i + 7), height: buf.readUInt16BE(i + 5) };
    i += 2 + len;
  }
  throw new Error('no SOF marker found in JPEG');
}

function pngSize(buf) {
  if (buf.toString('latin1', 12, 16) !== 'IHDR') throw new Error('not a PNG');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

// webpSize reads the canvas size from a WebP file's first chunk: lossy (VP8), lossless (VP8L)
// or extended (VP8X).
function webpSize(buf) {
  if (buf.length < 30 || buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WEBP') {
    throw new Error('not a WebP');
  }
  const chunk = buf.toString('latin1', 12, 16);
  if (chunk === 'VP8 ') {
    if (buf[23] !== 0x9d || buf[24] !== 0x01 || buf[25] !== 0x2a) throw new Error('VP8 start code missing');
    return { width: buf.readUInt16LE(26) & 0x3fff, height: buf.readUInt16LE(28) & 0x3fff };
  }
  if (chunk === 'VP8L') {
    if (buf[20] !== 0x2f) throw new Error('VP8L signature missing');
    const bits = buf.readUInt32LE(21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') {
    return { width: buf.readUIntLE(24, 3) + 1, height: buf.readUIntLE(27, 3) + 1 };
  }
  throw new Error(`unknown WebP chunk ${JSON.stringify(chunk)}`);
}

// imageInfo sniffs the format from the magic bytes and reads the size from the header.
function imageInfo(buf) {
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return { format: 'jpg', ...jpegSize(buf) };
  if (buf.length >= 8 && buf.toString('latin1', 1, 4) === 'PNG') return { format: 'png', ...pngSize(buf) };
  if (buf.length >= 12 && buf.toString('latin1', 8, 12) === 'WEBP') return { format: 'webp', ...webpSize(buf) };
  throw new Error(`not a JPEG, PNG or WebP (starts ${buf.subarray(0, 12).toString('hex')})`);
}

module.exports = {
  describeExchanges,
  fetchBytes,
  imageInfo,
  jpegSize,
  lastExchange,
  loadSDK,
  md5,
  pngSize,
  requestBody,
  sha1,
  startCloudlet,
  testdata,
  webpSize,
};

// Wraps a test body so that a failure also prints the last HTTP exchanges and the server log:
// the report then carries the exact request and response that went wrong.
function withDiagnostics(getServer, fn) {
  return async (t) => {
    try {
      await fn(t);
    } catch (err) {
      const server = getServer();
      const detail = [
        'last HTTP exchanges:',
        describeExchanges(3),
        server ? `cloudlet log (tail):\n${server.logTail(15)}` : '(cloudlet not running)',
      ].join('\n');
      if (err && typeof err === 'object' && !(err instanceof Error)) {
        throw new Error(`${JSON.stringify(err)}\n${detail}`);
      }
      if (err instanceof Error) err.message = `${err.message}\n${detail}`;
      throw err;
    }
  };
}

module.exports.withDiagnostics = withDiagnostics;
