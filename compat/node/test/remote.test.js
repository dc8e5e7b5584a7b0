'use strict';
// Fetch delivery through the official `cloudinary` npm SDK: `cloudinary.url(remoteURL, {type:
// 'fetch'})` against a cloudlet allowed to fetch from an origin on loopback. The SDK escapes the
// remote URL (smart_escape) and turns `format` into f_; cloudlet must fetch the origin once,
// serve the bytes, list, delete and fetch again.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const { describe, it, before, after } = require('node:test');

const {
  fetchBytes, imageInfo, loadSDK, md5, startCloudlet, testdata, withDiagnostics,
} = require('../lib/cloudlet');

const CREDS = { cloud: 'compat-node-remote', key: '731250649381726', secret: 'node-remote-secret-Pq4' };

describe('cloudinary npm 2.11.0 fetch URLs against cloudlet', { timeout: 60000 }, () => {
  const photo = fs.readFileSync(testdata('photo.jpg'));
  let origin;
  let originBase;
  const originHits = [];
  let server;
  let cloudinary;
  const step = (fn) => withDiagnostics(() => server, fn);
  const fetchURL = (remote, options = {}) => cloudinary.url(remote, {
    type: 'fetch', secure: false, cname: server.host, private_cdn: false, ...options,
  });

  before(async () => {
    origin = http.createServer((req, res) => {
      originHits.push(req.url);
      if (req.url === '/media/photo%20one.jpg?v=2&size=big') {
        res.writeHead(200, { 'Content-Type': 'image/jpeg' });
        res.end(photo);
        return;
      }
      res.writeHead(404);
      res.end('not found');
    });
    await new Promise((resolve) => origin.listen(0, '127.0.0.1', resolve));
    originBase = `http://127.0.0.1:${origin.address().port}`;
    server = await startCloudlet(CREDS, ['--allow-private-fetch', '--remote-type', `fetch=${originBase}/media/`]);
    cloudinary = loadSDK(server, CREDS);
  });

  after(async () => {
    if (server) await server.stop();
    if (origin) origin.close();
  });

  const remote = () => `${originBase}/media/photo one.jpg?v=2&size=big`;

  it('delivers the remote image from an SDK-built fetch URL, fetching it once', step(async () => {
    const url = fetchURL(remote());
    assert.ok(url.includes('/image/fetch/http://127.0.0.1:'), `fetch URL shape: ${url}`);
    assert.ok(url.includes('photo%20one.jpg%3Fv%3D2%26size%3Dbig'), `the SDK escapes the remote URL: ${url}`);
    for (let i = 0; i < 3; i++) {
      const res = await fetchBytes(url);
      assert.equal(res.status, 200, `GET ${url}: ${res.headers['x-cld-error']}`);
      assert.equal(md5(res.body), md5(photo), 'the original bytes are served');
    }
    assert.equal(originHits.length, 1, `origin requests: ${originHits.join(', ')}`);
  }));

  it('applies transformations and turns format into f_', step(async () => {
    const url = fetchURL(remote(), { width: 120, crop: 'scale', format: 'png' });
    assert.ok(url.includes('/c_scale,f_png,w_120/'), `transformation in ${url}`);
    const res = await fetchBytes(url);
    assert.equal(res.status, 200, `GET ${url}: ${res.headers['x-cld-error']}`);
    const info = imageInfo(res.body);
    assert.equal(info.format, 'png');
    assert.equal(info.width, 120);
    const signed = await fetchBytes(fetchURL(remote(), { width: 60, crop: 'scale', sign_url: true }));
    assert.equal(signed.status, 200, `signed fetch URL: ${signed.headers['x-cld-error']}`);
    assert.equal(imageInfo(signed.body).width, 60);
    assert.equal(originHits.length, 1, 'transformations read the stored original');
  }));

  it('lists, details and deletes fetched images; the next request fetches again', step(async () => {
    const list = await cloudinary.api.resources({ type: 'fetch' });
    assert.deepEqual(list.resources.map((r) => r.public_id), [remote()]);
    assert.equal(list.resources[0].type, 'fetch');
    const details = await cloudinary.api.resource(remote(), { type: 'fetch' });
    assert.equal(details.public_id, remote());
    assert.equal(details.bytes, photo.length);
    const del = await cloudinary.api.delete_resources([remote()], { type: 'fetch' });
    assert.equal(del.deleted[remote()], 'deleted');
    const again = await fetchBytes(fetchURL(remote()));
    assert.equal(again.status, 200);
    assert.equal(originHits.length, 2, 'a deleted fetched image is fetched again');
  }));

  it('refuses URLs outside the allowed prefix and origin errors, storing nothing', step(async () => {
    const outside = await fetchBytes(fetchURL(`${originBase}/private/photo.jpg`));
    assert.equal(outside.status, 401);
    assert.match(outside.headers['x-cld-error'], /^Images of type fetch are restricted in this account/);
    const missing = await fetchBytes(fetchURL(`${originBase}/media/missing.jpg`));
    assert.equal(missing.status, 404);
    assert.match(missing.headers['x-cld-error'], /^Resource not found/);
    const list = await cloudinary.api.resources({ type: 'fetch' });
    assert.deepEqual(list.resources.map((r) => r.public_id), [remote()]);
  }));
});
