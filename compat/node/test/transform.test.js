'use strict';
// Transformations through the official `cloudinary` npm SDK against a real cloudlet process:
// delivery URLs built by cloudinary.url() from option objects, the same transformation typed by
// hand in another order (one derived file for both), the Admin API's derived list, signed URLs
// for an authenticated asset, eager transformations on upload and named transformations.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const { describe, it, before, after } = require('node:test');

const {
  fetchBytes, imageInfo, jpegSize, lastExchange, loadSDK, md5, requestBody, startCloudlet, testdata,
  withDiagnostics,
} = require('../lib/cloudlet');

const CREDS = { cloud: 'compat-node-tx', key: '529174630082715', secret: 'node-transform-secret-Hy6' };
const PID = 'compat/pic';
const SECRET_PID = 'compat/secret';
const EAGER_PID = 'compat/eager';
const NAMED = 'compat_square';
const WEBP_ACCEPT = 'image/webp,*/*';
const CONTENT_TYPES = { jpg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };

const escapeRE = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// photo.jpg is stored 640x427 with EXIF Orientation 6. Derived images come out upright (the
// orientation is applied unless a_ignore), so every transformation starts from 427x640.
const photoPath = testdata('photo.jpg');
const photo = fs.readFileSync(photoPath);
const stored = jpegSize(photo);
const UPRIGHT = { width: stored.height, height: stored.width };
const aspect = (width) => Math.round((width * UPRIGHT.height) / UPRIGHT.width);

// One row per transformation. `options` go to cloudinary.url() as a user would write them;
// `sdk` is the transformation string the SDK must put in the URL; `hand` is the hand-typed
// equivalent (parameters reordered where the component has more than one; otherwise the same
// components under the SDK's placeholder version v1 instead of the real one). `size` is the
// expected output; `tol` allows a rounding difference of that many pixels (fractional scales).
// `derived` is what the Admin API may report as the derived entry's transformation.
const CASES = [
  {
    name: 'fill 100x80',
    options: { width: 100, height: 80, crop: 'fill' },
    sdk: 'c_fill,h_80,w_100',
    hand: 'w_100,c_fill,h_80',
    format: 'jpg',
    size: { width: 100, height: 80 },
  },
  {
    name: 'scale to half the width',
    options: { width: 0.5, crop: 'scale' },
    sdk: 'c_scale,w_0.5',
    hand: 'w_0.5,c_scale',
    format: 'jpg',
    size: { width: Math.round(UPRIGHT.width / 2), height: Math.round(UPRIGHT.height / 2) },
    tol: 1,
  },
  {
    name: 'thumb 60x60 with g_auto',
    options: { width: 60, height: 60, crop: 'thumb', gravity: 'auto' },
    sdk: 'c_thumb,g_auto,h_60,w_60',
    hand: 'g_auto,w_60,c_thumb,h_60',
    format: 'jpg',
    size: { width: 60, height: 60 },
  },
  {
    name: 'sepia, then rounded to a circle, as PNG',
    options: { transformation: [{ effect: 'sepia' }, { radius: 'max' }], format: 'png' },
    sdk: 'e_sepia/r_max',
    hand: 'e_sepia/r_max',
    handVersion: 'v1',
    format: 'png',
    size: UPRIGHT,
  },
  {
    name: 'rotate 90 degrees',
    options: { angle: 90 },
    sdk: 'a_90',
    hand: 'a_90',
    handVersion: 'v1',
    format: 'jpg',
    size: { width: UPRIGHT.height, height: UPRIGHT.width },
  },
  {
    name: 'dpr 2.0 (Node prints dpr_2; typed as dpr_2.0)',
    options: { dpr: 2.0, width: 50 },
    sdk: 'dpr_2,w_50',
    hand: 'w_50,dpr_2.0',
    format: 'jpg',
    size: { width: 100, height: aspect(100) },
    tol: 1,
    derived: /^(dpr_2(\.0)?,w_50|w_50,dpr_2(\.0)?)$/,
  },
  {
    name: 'q_auto and f_auto (Accept: image/webp)',
    options: { quality: 'auto', fetch_format: 'auto' },
    sdk: 'f_auto,q_auto',
    hand: 'q_auto,f_auto',
    accept: WEBP_ACCEPT,
    format: 'webp',
    size: UPRIGHT,
    // cloudlet keys f_auto derived files by the negotiated format; either spelling is fine.
    derived: /^(f_auto,q_auto|q_auto,f_auto|f_webp,(fl_awebp,)?q_auto)(\/webp)?$/,
  },
  {
    name: 'border 5px red on a green background',
    options: { border: { width: 5, color: '#ff0000' }, background: '#00ff00' },
    sdk: 'b_rgb:00ff00,bo_5px_solid_rgb:ff0000',
    hand: 'bo_5px_solid_rgb:ff0000,b_rgb:00ff00',
    format: 'jpg',
    // the border is drawn around the image: 5 px more on every side
    size: { width: UPRIGHT.width + 10, height: UPRIGHT.height + 10 },
  },
];

function assertSize(what, got, want, tol = 0) {
  assert.ok(Math.abs(got.width - want.width) <= tol && Math.abs(got.height - want.height) <= tol,
    `${what}: ${got.width}x${got.height}, want ${want.width}x${want.height}${tol ? ` (±${tol})` : ''}`);
}

describe('cloudinary npm 2.11.0 transformations against cloudlet', { timeout: 60000 }, () => {
  let server;
  let cloudinary;
  const state = {};
  const step = (fn) => withDiagnostics(() => server, fn);
  const needs = (...keys) => {
    for (const k of keys) assert.ok(state[k], `skipped: an earlier step did not produce ${k}`);
  };

  const deliveryURL = (publicId, options = {}) => cloudinary.url(publicId, {
    secure: false, cname: server.host, private_cdn: false, ...options,
  });
  const handURL = (type, components, version, publicId, format) => [
    server.base, CREDS.cloud, 'image', type, components, version, `${publicId}.${format}`,
  ].join('/');

  // GETs a delivery URL that must answer 200 with an image; returns the response and its header info.
  async function getImage(url, { accept } = {}) {
    const res = await fetchBytes(url, { headers: accept ? { Accept: accept } : {} });
    assert.equal(res.status, 200, `GET ${url}: ${res.status} (X-Cld-Error: ${res.headers['x-cld-error']})`);
    let info;
    try {
      info = imageInfo(res.body);
    } catch (err) {
      assert.fail(`GET ${url}: ${err.message}`);
    }
    return { res, info };
  }

  async function expect401(url, why) {
    const res = await fetchBytes(url);
    assert.equal(res.status, 401, `${why}: GET ${url} answered ${res.status}, want 401`);
    assert.ok(res.headers['x-cld-error'], `${why}: a 401 carries an X-Cld-Error header`);
  }

  before(async () => {
    server = await startCloudlet(CREDS);
    cloudinary = loadSDK(server, CREDS);
  });

  after(async () => {
    if (server) await server.stop();
  });

  it('uploads the photo', step(async () => {
    const res = await cloudinary.uploader.upload(photoPath, { public_id: PID });
    assert.equal(res.public_id, PID);
    assert.equal(res.bytes, photo.length);
    assert.ok(res.version > 0);
    state.upload = res;
  }));

  for (const c of CASES) {
    it(`delivers ${c.name}: SDK URL and hand-typed URL give one derived file`, step(async () => {
      needs('upload');
      const version = state.upload.version;
      const ext = c.options.format || 'jpg'; // the URL's extension; f_auto may deliver another format
      const url = deliveryURL(PID, { version, format: 'jpg', ...c.options });
      const sdkPath = `/${CREDS.cloud}/image/upload/${c.sdk}/v${version}/${PID}.${ext}`;
      assert.match(url, new RegExp(`^${escapeRE(server.base + sdkPath)}\\?_a=`),
        `the SDK built ${url}, want ${server.base}${sdkPath}?_a=...`);

      const sdk = await getImage(url, { accept: c.accept });
      assert.equal(sdk.info.format, c.format, `format of ${url}`);
      assertSize(url, sdk.info, c.size, c.tol);
      assert.match(sdk.res.headers['content-type'] || '', new RegExp(`^${CONTENT_TYPES[c.format]}`));
      assert.equal(sdk.res.headers.etag, `"${md5(sdk.res.body)}"`, 'ETag is the MD5 of the delivered bytes');

      const hand = handURL('upload', c.hand, c.handVersion || `v${version}`, PID, ext);
      const typed = await getImage(hand, { accept: c.accept });
      assert.equal(typed.res.headers.etag, sdk.res.headers.etag, `ETag of ${hand} equals the SDK URL's`);
      assert.ok(typed.res.body.equals(sdk.res.body), `${hand} delivers the same bytes as ${url}`);
      state[c.name] = { body: sdk.res.body, md5: md5(sdk.res.body) };
    }));
  }

  it('lists exactly one derived entry per distinct transformation (Admin details)', step(async () => {
    needs('upload', ...CASES.map((c) => c.name));
    const res = await cloudinary.api.resource(PID, { max_results: 50 });
    const derived = res.derived || [];
    assert.equal(derived.length, CASES.length,
      `derived has ${derived.length} entries, want ${CASES.length}: ${JSON.stringify(derived.map((d) => d.transformation))}`);
    const ids = new Set();
    const byMD5 = new Map();
    for (const d of derived) {
      assert.match(String(d.id), /^[0-9a-f]{32}$/, `derived id ${d.id}`);
      ids.add(d.id);
      assert.ok(d.transformation && d.format && d.url, `derived entry ${JSON.stringify(d)} has transformation, format, url`);
      // the webp Accept keeps an f_auto entry on its own (webp) variant; the rest ignore it
      const got = await getImage(d.url, { accept: WEBP_ACCEPT });
      assert.equal(got.res.body.length, d.bytes, `${d.url}: ${got.res.body.length} bytes, entry says ${d.bytes}`);
      assert.equal(got.info.format, d.format, `${d.url}: format ${got.info.format}, entry says ${d.format}`);
      const key = md5(got.res.body);
      byMD5.set(key, [...(byMD5.get(key) || []), d]);
    }
    assert.equal(ids.size, derived.length, 'derived ids are distinct');
    for (const c of CASES) {
      const matches = byMD5.get(state[c.name].md5) || [];
      assert.equal(matches.length, 1, `${c.name}: ${matches.length} derived entries deliver its bytes, want 1`);
      const entry = matches[0];
      assert.equal(entry.format, c.format, `${c.name}: derived format`);
      assert.match(entry.transformation, c.derived || new RegExp(`^${escapeRE(c.sdk)}$`),
        `${c.name}: derived transformation ${entry.transformation}`);
    }
    const again = await cloudinary.api.resource(PID, { max_results: 50 });
    assert.equal((again.derived || []).length, CASES.length, 'fetching the derived urls created no new derived files');
  }));

  it('signed URLs for an authenticated asset: signed 200, unsigned or tampered 401', step(async () => {
    const up = await cloudinary.uploader.upload(photoPath, { public_id: SECRET_PID, type: 'authenticated' });
    assert.equal(up.public_id, SECRET_PID);
    assert.equal(up.type, 'authenticated');
    const base = { type: 'authenticated', sign_url: true, version: up.version, format: 'jpg' };

    const url = deliveryURL(SECRET_PID, { ...base, width: 100, height: 80, crop: 'fill' });
    const sig = /\/image\/authenticated\/(s--[A-Za-z0-9_-]{8}--)\/c_fill,h_80,w_100\/v\d+\//.exec(url);
    assert.ok(sig, `the SDK put a signature component in ${url}`);
    const signed = await getImage(url);
    assert.equal(signed.info.format, 'jpg');
    assertSize(url, signed.info, { width: 100, height: 80 });
    await expect401(url.replace(`/${sig[1]}`, ''), 'signature removed');
    await expect401(url.replace('c_fill,h_80,w_100', 'c_fill,h_80,w_101'), 'transformation changed after signing');

    const original = deliveryURL(SECRET_PID, base);
    assert.match(original, /\/image\/authenticated\/s--[A-Za-z0-9_-]{8}--\/v\d+\/compat\/secret\.jpg/);
    const orig = await fetchBytes(original);
    assert.equal(orig.status, 200, `GET ${original}: ${orig.status} (X-Cld-Error: ${orig.headers['x-cld-error']})`);
    assert.equal(md5(orig.body), md5(photo), 'the signed original URL delivers the uploaded bytes');
    await expect401(original.replace(/\/s--[A-Za-z0-9_-]{8}--/, ''), 'original without signature');
  }));

  it('eager transformations on upload: two variants, each url delivers it', step(async () => {
    const res = await cloudinary.uploader.upload(photoPath, {
      public_id: EAGER_PID,
      eager: [{ width: 40, height: 40, crop: 'fill' }, { width: 20, format: 'png' }],
    });
    const sent = lastExchange((ex) => ex.url.endsWith('/image/upload'));
    assert.match(requestBody(sent).toString('latin1'), /name="eager"\r\n\r\nc_fill,h_40,w_40\|w_20\/png\r\n/,
      'the SDK sent eager as transformation strings joined by |');
    assert.ok(Array.isArray(res.eager), `upload response has an eager array: ${JSON.stringify(res.eager)}`);
    assert.equal(res.eager.length, 2);
    // Whether Cloudinary echoes the eager format as a "/png" suffix is unverified: accept both.
    const want = [
      { transformation: /^c_fill,h_40,w_40$/, format: 'jpg', size: { width: 40, height: 40 }, tol: 0 },
      { transformation: /^w_20(\/png)?$/, format: 'png', size: { width: 20, height: aspect(20) }, tol: 1 },
    ];
    for (const [i, w] of want.entries()) {
      const e = res.eager[i];
      assert.match(e.transformation || '', w.transformation, `eager[${i}].transformation`);
      assert.equal(e.format, w.format, `eager[${i}].format`);
      assertSize(`eager[${i}] reported`, e, w.size, w.tol);
      assert.ok(e.url, `eager[${i}] has a url`);
      const got = await getImage(e.url);
      assert.equal(got.info.format, w.format, `${e.url} format`);
      assertSize(e.url, got.info, { width: e.width, height: e.height });
      if (e.bytes !== undefined) assert.equal(got.res.body.length, e.bytes, `${e.url} length equals eager[${i}].bytes`);
    }
    const details = await cloudinary.api.resource(EAGER_PID);
    assert.equal((details.derived || []).length, 2, 'the two eager variants are derived files of the asset');
  }));

  it('named transformation: create it, deliver t_<name>', step(async (t) => {
    needs('upload');
    const created = await cloudinary.api.create_transformation(NAMED, { width: 30, height: 30, crop: 'fill' });
    const sent = lastExchange((ex) => ex.method === 'POST' && /\/transformations/.test(ex.url));
    assert.ok(sent, 'the SDK posted to /transformations');
    assert.equal(created.message, 'created');

    const url = deliveryURL(PID, { version: state.upload.version, format: 'jpg', transformation: [NAMED] });
    assert.match(url, new RegExp(`/t_${NAMED}/v\\d+/`));
    const got = await getImage(url);
    assert.equal(got.info.format, 'jpg');
    assertSize(url, got.info, { width: 30, height: 30 });
  }));
});
