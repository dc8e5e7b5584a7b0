'use strict';
// One asset's life through the official `cloudinary` npm SDK against a real cloudlet process:
// upload, Admin details, rename, tags, context, SDK-built delivery URL, raw files, destroy.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const { describe, it, before, after } = require('node:test');

const {
  fetchBytes, jpegSize, lastExchange, loadSDK, md5, requestBody, sha1, startCloudlet, testdata,
  withDiagnostics,
} = require('../lib/cloudlet');

const CREDS = { cloud: 'compat-node', key: '614335564976464', secret: 'node-flow-secret-Zq8' };
const RUN = crypto.randomBytes(4).toString('hex');
const FOLDER = 'compat/node';
const ID = `photo-${RUN}`;
const PID = `${FOLDER}/${ID}`;
const RENAMED = `${FOLDER}/renamed-${RUN}`;
const TAGS = ['compat', 'node-sdk'];
const CONTEXT = { caption: 'sunset = warm | orange', alt: 'A test photo' };

describe('cloudinary npm 2.11.0 against cloudlet', { timeout: 60000 }, () => {
  let server;
  let cloudinary;
  const photoPath = testdata('photo.jpg');
  const photo = fs.readFileSync(photoPath);
  const state = {};
  const step = (fn) => withDiagnostics(() => server, fn);

  // The SDK's own URL builder, pointed at cloudlet the way a user would.
  const deliveryURL = (publicId, options = {}) => cloudinary.url(publicId, {
    secure: false, cname: server.host, private_cdn: false, ...options,
  });
  const details = (publicId, options = {}) => cloudinary.api.resource(publicId, options);
  const expectAdmin404 = async (publicId, options) => {
    await assert.rejects(details(publicId, options), (err) => {
      assert.equal(err.error?.http_code, 404, `expected 404 from Admin details, got ${JSON.stringify(err.error)}`);
      assert.ok(err.error.message, 'a 404 carries an error message');
      return true;
    });
  };
  const needs = (...keys) => {
    for (const k of keys) assert.ok(state[k], `skipped: an earlier step did not produce ${k}`);
  };

  before(async () => {
    server = await startCloudlet(CREDS);
    cloudinary = loadSDK(server, CREDS);
  });

  after(async () => {
    if (server) await server.stop();
  });

  it('uploads a JPEG with folder, tags and context', step(async () => {
    const res = await cloudinary.uploader.upload(photoPath, {
      public_id: ID, folder: FOLDER, tags: TAGS, context: CONTEXT,
    });
    const sent = lastExchange((ex) => ex.url.endsWith('/image/upload'));
    assert.ok(sent, 'the SDK posted to /v1_1/<cloud>/image/upload');
    assert.match(requestBody(sent).toString('latin1'), /name="context"\r\n\r\ncaption=sunset \\= warm \\\| orange\|alt=A test photo\r\n/,
      'the SDK sent the escaped context string');

    const size = jpegSize(photo);
    assert.equal(res.public_id, PID);
    assert.equal(res.resource_type, 'image');
    assert.equal(res.type, 'upload');
    assert.ok(Number.isInteger(res.version) && res.version > 0, `version ${res.version}`);
    // photo.jpg carries EXIF Orientation 6: accept the stored or the EXIF-rotated dimensions.
    assert.ok((res.width === size.width && res.height === size.height)
      || (res.width === size.height && res.height === size.width),
    `width x height ${res.width}x${res.height}, want ${size.width}x${size.height} (or rotated)`);
    assert.equal(res.format, 'jpg');
    assert.equal(res.bytes, photo.length);
    assert.equal(res.etag, md5(photo));
    assert.match(res.asset_id, /^[0-9a-f]{32}$/);
    assert.deepEqual([...res.tags].sort(), [...TAGS].sort());
    assert.deepEqual(res.context, { custom: CONTEXT });
    assert.equal(res.signature, sha1(`public_id=${res.public_id}&version=${res.version}${CREDS.secret}`));
    assert.ok(!Number.isNaN(Date.parse(res.created_at)), `created_at ${res.created_at}`);
    assert.equal(res.url, `${server.base}/${CREDS.cloud}/image/upload/v${res.version}/${PID}.jpg`);
    state.upload = res;
  }));

  it('reads the asset through the Admin API, with rate-limit values', step(async () => {
    needs('upload');
    const res = await details(PID);
    assert.equal(res.public_id, PID);
    assert.equal(res.asset_id, state.upload.asset_id);
    assert.equal(res.version, state.upload.version);
    assert.equal(res.format, 'jpg');
    assert.equal(res.bytes, photo.length);
    assert.equal(res.etag, md5(photo));
    assert.equal(res.width, state.upload.width);
    assert.equal(res.height, state.upload.height);
    assert.deepEqual([...res.tags].sort(), [...TAGS].sort());
    assert.deepEqual(res.context, { custom: CONTEXT });
    assert.equal(res.url, state.upload.url);

    assert.ok(Number.isInteger(res.rate_limit_allowed) && res.rate_limit_allowed > 0,
      `rate_limit_allowed ${res.rate_limit_allowed}`);
    assert.ok(Number.isInteger(res.rate_limit_remaining)
      && res.rate_limit_remaining >= 0 && res.rate_limit_remaining <= res.rate_limit_allowed,
    `rate_limit_remaining ${res.rate_limit_remaining} of ${res.rate_limit_allowed}`);
    assert.ok(res.rate_limit_reset_at instanceof Date && !Number.isNaN(res.rate_limit_reset_at.getTime()),
      `rate_limit_reset_at ${res.rate_limit_reset_at}`);
    const inFuture = res.rate_limit_reset_at.getTime() - Date.now();
    assert.ok(inFuture > -5000 && inFuture <= 25 * 3600 * 1000, `reset ${res.rate_limit_reset_at.toISOString()} is near the future`);
  }));

  it('delivers the original at the URL the SDK builds', step(async () => {
    needs('upload');
    const url = deliveryURL(PID, { version: state.upload.version, format: 'jpg' });
    assert.ok(url.startsWith(state.upload.url), `SDK URL ${url} extends the upload's url ${state.upload.url}`);
    assert.match(url, /\?_a=/, 'the SDK appended its analytics parameter');
    const res = await fetchBytes(url);
    assert.equal(res.status, 200);
    assert.equal(md5(res.body), md5(photo), 'delivered bytes are the uploaded bytes');
    assert.match(res.headers['content-type'], /^image\/jpeg/);
    assert.equal(res.headers.etag, `"${md5(photo)}"`);
  }));

  it('renames the asset; the old id is gone', step(async () => {
    needs('upload');
    const res = await cloudinary.uploader.rename(PID, RENAMED);
    assert.equal(res.public_id, RENAMED);
    assert.equal(res.asset_id, state.upload.asset_id, 'rename keeps the asset id');
    assert.equal(res.bytes, photo.length);
    assert.equal(res.format, 'jpg');
    await expectAdmin404(PID);
    const moved = await details(RENAMED);
    assert.equal(moved.etag, md5(photo));
    const old = await fetchBytes(deliveryURL(PID, { version: state.upload.version, format: 'jpg' }));
    assert.equal(old.status, 404, 'the old delivery URL no longer serves the asset');
    state.renamed = moved;
  }));

  it('adds a tag with the tags call', step(async () => {
    needs('renamed');
    const res = await cloudinary.uploader.add_tag('added-later', [RENAMED]);
    assert.deepEqual(res.public_ids, [RENAMED]);
    const after = await details(RENAMED);
    assert.deepEqual([...after.tags].sort(), [...TAGS, 'added-later'].sort());
  }));

  it('changes context with the context call (add merges keys)', step(async () => {
    needs('renamed');
    const change = { alt: 'alt = changed', credit: 'pipe|and=equals' };
    const res = await cloudinary.uploader.add_context(change, [RENAMED]);
    assert.deepEqual(res.public_ids, [RENAMED]);
    const after = await details(RENAMED);
    assert.deepEqual(after.context, { custom: { caption: CONTEXT.caption, ...change } });
  }));

  it('delivers the renamed asset byte-identical', step(async () => {
    needs('renamed');
    const res = await fetchBytes(deliveryURL(RENAMED, { version: state.renamed.version, format: 'jpg' }));
    assert.equal(res.status, 200);
    assert.equal(md5(res.body), md5(photo));
    assert.match(res.headers['content-type'], /^image\/jpeg/);
  }));

  it('uploads a raw file and delivers it back byte-identical', step(async () => {
    const notePath = testdata('note.txt');
    const note = fs.readFileSync(notePath);
    const rawId = `${FOLDER}/note-${RUN}.txt`;
    const res = await cloudinary.uploader.upload(notePath, { resource_type: 'raw', public_id: rawId });
    assert.equal(res.public_id, rawId);
    assert.equal(res.resource_type, 'raw');
    assert.equal(res.bytes, note.length);
    assert.equal(res.etag, md5(note));
    assert.ok(res.version > 0);
    assert.equal(res.url, `${server.base}/${CREDS.cloud}/raw/upload/v${res.version}/${rawId}`);

    const url = deliveryURL(rawId, { resource_type: 'raw', version: res.version });
    assert.ok(url.startsWith(res.url), `SDK URL ${url} extends the upload's url ${res.url}`);
    const got = await fetchBytes(url);
    assert.equal(got.status, 200);
    assert.ok(got.body.equals(note), 'delivered raw bytes are the uploaded bytes');

    const info = await details(rawId, { resource_type: 'raw' });
    assert.equal(info.bytes, note.length);
    const gone = await cloudinary.uploader.destroy(rawId, { resource_type: 'raw' });
    assert.equal(gone.result, 'ok');
    await expectAdmin404(rawId, { resource_type: 'raw' });
  }));

  it('destroys the asset: details and delivery answer 404, a second destroy is "not found"', step(async () => {
    needs('renamed');
    const res = await cloudinary.uploader.destroy(RENAMED);
    assert.equal(res.result, 'ok');
    await expectAdmin404(RENAMED);
    const delivered = await fetchBytes(deliveryURL(RENAMED, { version: state.renamed.version, format: 'jpg' }));
    assert.equal(delivered.status, 404);
    const again = await cloudinary.uploader.destroy(RENAMED);
    assert.equal(again.result, 'not found');
  }));
});
