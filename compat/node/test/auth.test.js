'use strict';
// How cloudlet checks the npm SDK's credentials: SHA-256 request signatures are accepted, a wrong
// api_secret is refused on both the Upload API (signature) and the Admin API (Basic auth).
// Runs in its own process and server, so changing the SDK's global config cannot leak elsewhere.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const { describe, it, before, after } = require('node:test');

const {
  lastExchange, loadSDK, md5, pngSize, requestBody, startCloudlet, testdata, withDiagnostics,
} = require('../lib/cloudlet');

const CREDS = { cloud: 'compat-node-auth', key: '873914265517823', secret: 'node-auth-secret-P4x' };
const RUN = crypto.randomBytes(4).toString('hex');

function signatureSent(exchange) {
  const m = /name="signature"\r\n\r\n([^\r]*)\r\n/.exec(requestBody(exchange).toString('latin1'));
  return m && m[1];
}

describe('cloudinary npm 2.11.0 credentials against cloudlet', { timeout: 60000 }, () => {
  let server;
  let cloudinary;
  const step = (fn) => withDiagnostics(() => server, fn);

  // Runs fn with some SDK configuration changed, then puts the previous values back.
  async function withConfig(change, fn) {
    const conf = cloudinary.config();
    const saved = Object.fromEntries(Object.keys(change).map((k) => [k, conf[k]]));
    cloudinary.config(change);
    try {
      return await fn();
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete conf[k]; else conf[k] = v;
      }
    }
  }

  before(async () => {
    server = await startCloudlet(CREDS);
    cloudinary = loadSDK(server, CREDS);
  });

  after(async () => {
    if (server) await server.stop();
  });

  it('accepts an upload signed with SHA-256 (signature_algorithm config)', step(async () => {
    const pngPath = testdata('alpha.png');
    const png = fs.readFileSync(pngPath);
    const pid = `compat/node/alpha-${RUN}`;
    const res = await withConfig({ signature_algorithm: 'sha256' },
      () => cloudinary.uploader.upload(pngPath, { public_id: pid }));
    const sent = lastExchange((ex) => ex.url.endsWith('/image/upload'));
    assert.match(signatureSent(sent) || '', /^[0-9a-f]{64}$/, 'the SDK sent a SHA-256 (64 hex) signature');

    const size = pngSize(png);
    assert.equal(res.public_id, pid);
    assert.equal(res.format, 'png');
    assert.equal(res.width, size.width);
    assert.equal(res.height, size.height);
    assert.equal(res.bytes, png.length);
    assert.equal(res.etag, md5(png));

    const again = await cloudinary.uploader.destroy(pid);
    assert.equal(again.result, 'ok', 'a SHA-1 signed call still works after the SHA-256 one');
    assert.match(signatureSent(lastExchange((ex) => ex.url.endsWith('/image/destroy'))) || '', /^[0-9a-f]{40}$/);
  }));

  it('refuses an upload signed with a wrong api_secret (401 Invalid Signature)', step(async () => {
    const pid = `compat/node/forged-${RUN}`;
    await withConfig({ api_secret: 'not-the-secret' }, async () => {
      await assert.rejects(cloudinary.uploader.upload(testdata('photo.jpg'), { public_id: pid }), (err) => {
        assert.equal(err.http_code, 401, `expected 401, got ${JSON.stringify(err)}`);
        assert.match(err.message, /^Invalid Signature /);
        return true;
      });
    });
    await assert.rejects(cloudinary.api.resource(pid), (err) => {
      assert.equal(err.error?.http_code, 404, 'the refused upload stored nothing');
      return true;
    });
  }));

  it('refuses Admin API calls with a wrong api_secret (401)', step(async () => {
    await withConfig({ api_secret: 'not-the-secret' }, async () => {
      await assert.rejects(cloudinary.api.resource('anything'), (err) => {
        assert.equal(err.error?.http_code, 401, `expected 401, got ${JSON.stringify(err.error)}`);
        assert.ok(err.error.message);
        return true;
      });
    });
  }));
});
