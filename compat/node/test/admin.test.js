'use strict';
// The Admin API through the official `cloudinary` npm SDK (cloudinary.v2.api.*, search, upload
// presets) against a real cloudlet process: every call of the Admin API reference, asserted on the
// shapes and values of its answers. Each test makes its own assets under its own public id prefix,
// so the tests do not depend on each other.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const { describe, it, before, after } = require('node:test');

const {
  fetchBytes, imageInfo, lastExchange, loadSDK, md5, requestBody, startCloudlet, testdata, withDiagnostics,
} = require('../lib/cloudlet');

const CREDS = { cloud: 'compat-node-admin', key: '731946208553172', secret: 'node-admin-secret-Vb2' };
const RUN = crypto.randomBytes(4).toString('hex');
const ROOT = `adm-${RUN}`; // every public id of this file starts with it

const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const HEX32 = /^[0-9a-f]{32}$/;

const files = {
  webp: testdata('photo.webp'),
  jpg: testdata('photo.jpg'),
  png: testdata('alpha.png'),
  txt: testdata('note.txt'),
};
const bytesOf = Object.fromEntries(Object.entries(files).map(([k, f]) => [k, fs.readFileSync(f)]));

const sortedCopy = (list) => [...list].sort();

// expectError checks that promise rejects with an Admin API error of the given status.
async function expectError(promise, status, what, message) {
  await assert.rejects(promise, (err) => {
    const e = err.error || err;
    assert.equal(e.http_code, status, `${what}: expected HTTP ${status}, got ${JSON.stringify(e)}`);
    assert.ok(e.message, `${what}: the error carries a message`);
    if (message) assert.match(e.message, message, `${what}: error message`);
    return true;
  });
}

describe('cloudinary npm 2.11.0 Admin API against cloudlet', { timeout: 120000 }, () => {
  let server;
  let cloudinary; // require('cloudinary').v2: cloudinary.api is cloudinary.v2.api, cloudinary.search cloudinary.v2.search
  const step = (fn) => withDiagnostics(() => server, fn);

  // call runs one SDK call; a failure names the endpoint it was for.
  async function call(t, endpoint, fn) {
    try {
      return await fn();
    } catch (err) {
      const e = err && typeof err === 'object' ? (err.error || err) : {};
      throw new Error(`${endpoint}: ${e.http_code || ''} ${e.message || err}`);
    }
  }

  async function upload(kind, publicId, options = {}) {
    const res = await cloudinary.uploader.upload(files[kind], { public_id: publicId, ...options });
    const want = options.folder ? `${options.folder}/${publicId}` : publicId;
    assert.equal(res.public_id, want, 'upload stored the public id asked for');
    return res;
  }

  const deliveryURL = (publicId, options = {}) => cloudinary.url(publicId, {
    secure: false, cname: server.host, private_cdn: false, ...options,
  });

  // deliver GETs a (transformed) image and checks it came back as an image.
  async function deliver(asset, options = {}) {
    const url = deliveryURL(asset.public_id, { version: asset.version, format: asset.format, ...options });
    const res = await fetchBytes(url);
    assert.equal(res.status, 200, `GET ${url}: ${res.status} (X-Cld-Error: ${res.headers['x-cld-error']})`);
    return { url, body: res.body, info: imageInfo(res.body) };
  }

  // Pages through a listing call with next_cursor; returns the pages.
  async function pages(fetchPage, maxPages = 50) {
    const out = [];
    let cursor;
    do {
      const page = await fetchPage(cursor);
      out.push(page);
      cursor = page.next_cursor;
      assert.ok(out.length <= maxPages, `more than ${maxPages} pages: the cursor does not advance`);
    } while (cursor);
    return out;
  }

  function assertBrief(item, want) {
    assert.match(item.asset_id, HEX32, `${item.public_id}: asset_id`);
    assert.equal(item.resource_type, want.resource_type || 'image', `${item.public_id}: resource_type`);
    assert.equal(item.type, want.type || 'upload', `${item.public_id}: type`);
    assert.ok(Number.isInteger(item.version) && item.version > 0, `${item.public_id}: version ${item.version}`);
    assert.match(item.created_at, ISO_SECONDS, `${item.public_id}: created_at`);
    assert.ok(Number.isInteger(item.bytes) && item.bytes > 0, `${item.public_id}: bytes ${item.bytes}`);
    if (want.format) assert.equal(item.format, want.format, `${item.public_id}: format`);
    if (want.bytes) assert.equal(item.bytes, want.bytes, `${item.public_id}: bytes`);
    if ((want.resource_type || 'image') === 'image') {
      assert.ok(item.width > 0 && item.height > 0, `${item.public_id}: width x height ${item.width}x${item.height}`);
    }
    assert.ok(item.url && item.url.startsWith(`${server.base}/${CREDS.cloud}/`), `${item.public_id}: url ${item.url}`);
    assert.ok(item.secure_url, `${item.public_id}: secure_url`);
  }

  before(async () => {
    server = await startCloudlet(CREDS);
    cloudinary = loadSDK(server, CREDS);
  });

  after(async () => {
    if (server) await server.stop();
  });

  it('ping and resource_types answer with rate-limit values that count down', step(async () => {
    const ping = await cloudinary.api.ping();
    assert.equal(ping.status, 'ok');
    const types = await cloudinary.api.resource_types();
    assert.ok(Array.isArray(types.resource_types), `resource_types: ${JSON.stringify(types)}`);
    for (const rt of ['image', 'raw', 'video']) assert.ok(types.resource_types.includes(rt), `resource_types has ${rt}`);

    for (const res of [ping, types]) {
      assert.ok(Number.isInteger(res.rate_limit_allowed) && res.rate_limit_allowed > 0, `rate_limit_allowed ${res.rate_limit_allowed}`);
      assert.ok(Number.isInteger(res.rate_limit_remaining) && res.rate_limit_remaining >= 0
        && res.rate_limit_remaining <= res.rate_limit_allowed, `rate_limit_remaining ${res.rate_limit_remaining}`);
      assert.ok(res.rate_limit_reset_at instanceof Date && !Number.isNaN(res.rate_limit_reset_at.getTime()),
        `rate_limit_reset_at ${res.rate_limit_reset_at}`);
    }
    const resetLater = types.rate_limit_reset_at.getTime() > ping.rate_limit_reset_at.getTime();
    assert.ok(types.rate_limit_remaining < ping.rate_limit_remaining || resetLater,
      `a second call counts: remaining ${ping.rate_limit_remaining} then ${types.rate_limit_remaining}`);
  }));

  it('resources: default page of 10, max_results paging over 3 pages, prefix, type, raw, tags: true', step(async () => {
    const prefix = `${ROOT}/list/`;
    const tag = `list${RUN}`;
    const ids = [];
    for (let i = 0; i < 11; i++) {
      const id = `${prefix}img-${String(i).padStart(2, '0')}`;
      await upload('webp', id, { tags: [tag, `n${i % 2}`] });
      ids.push(id);
    }
    const privateId = `${prefix}hidden`;
    await upload('webp', privateId, { type: 'private' });
    const rawId = `${prefix}note.txt`;
    await upload('txt', rawId, { resource_type: 'raw' });

    // GET /resources/image: 10 by default, and a cursor since there are more.
    const first = await cloudinary.api.resources();
    assert.ok(Array.isArray(first.resources));
    assert.equal(first.resources.length, 10, 'resources() returns 10 items by default');
    assert.ok(first.next_cursor, 'resources() has a next_cursor when more images exist');
    for (const item of first.resources) assertBrief(item, { type: item.type });
    assert.ok(Number.isInteger(first.rate_limit_allowed), 'a listing carries rate_limit_allowed');

    // GET /resources/image/upload?prefix=...&max_results=4 over three pages.
    const listed = await pages((cursor) => cloudinary.api.resources({
      type: 'upload', prefix, max_results: 4, ...(cursor ? { next_cursor: cursor } : {}),
    }));
    assert.deepEqual(listed.map((p) => p.resources.length), [4, 4, 3], 'three pages of 4, 4 and 3');
    const seen = listed.flatMap((p) => p.resources.map((r) => r.public_id));
    assert.equal(new Set(seen).size, seen.length, `no public id is listed twice: ${seen}`);
    assert.deepEqual(sortedCopy(seen), sortedCopy(ids), 'the pages hold exactly the uploads under the prefix');
    assert.ok(!listed[2].next_cursor, 'the last page has no next_cursor');
    for (const page of listed) {
      for (const item of page.resources) {
        assertBrief(item, { format: 'webp', bytes: bytesOf.webp.length });
        assert.equal(item.tags, undefined, `${item.public_id}: no tags unless tags: true`);
      }
    }

    // Every image in the cloud, paged with the cursor: ours are all there, the private one too.
    const everything = (await pages((cursor) => cloudinary.api.resources({ max_results: 5, ...(cursor ? { next_cursor: cursor } : {}) })))
      .flatMap((p) => p.resources.map((r) => `${r.type}:${r.public_id}`));
    assert.equal(new Set(everything).size, everything.length, 'paging all images repeats nothing');
    for (const id of ids) assert.ok(everything.includes(`upload:${id}`), `all-images listing has ${id}`);
    assert.ok(everything.includes(`private:${privateId}`), 'all-images listing has the private image');

    // tags: true
    const withTags = await cloudinary.api.resources({ type: 'upload', prefix, max_results: 500, tags: true });
    assert.equal(withTags.resources.length, ids.length);
    for (const item of withTags.resources) {
      const i = Number(item.public_id.slice(-2));
      assert.deepEqual(sortedCopy(item.tags), sortedCopy([tag, `n${i % 2}`]), `${item.public_id}: tags`);
    }

    // type: private lists only the private image, type: upload never does.
    const priv = await cloudinary.api.resources({ type: 'private', prefix });
    assert.deepEqual(priv.resources.map((r) => r.public_id), [privateId]);
    assertBrief(priv.resources[0], { type: 'private', format: 'webp' });
    assert.ok(!withTags.resources.some((r) => r.public_id === privateId), 'type upload does not list the private image');

    // resource_type: raw
    const raw = await cloudinary.api.resources({ resource_type: 'raw', type: 'upload', prefix });
    assert.deepEqual(raw.resources.map((r) => r.public_id), [rawId]);
    assertBrief(raw.resources[0], { resource_type: 'raw', bytes: bytesOf.txt.length });
  }));

  it('resources_by_tag pages with next_cursor; raw files by tag', step(async () => {
    const tag = `bytag${RUN}`;
    const ids = [];
    for (let i = 0; i < 5; i++) {
      const id = `${ROOT}/bytag/img-${i}`;
      await upload('webp', id, { tags: [tag] });
      ids.push(id);
    }
    await upload('webp', `${ROOT}/bytag/untagged`, { tags: [`other${RUN}`] });
    const rawId = `${ROOT}/bytag/note.txt`;
    await upload('txt', rawId, { resource_type: 'raw', tags: [tag] });

    const listed = await pages((cursor) => cloudinary.api.resources_by_tag(tag, {
      max_results: 2, tags: true, ...(cursor ? { next_cursor: cursor } : {}),
    }));
    assert.deepEqual(listed.map((p) => p.resources.length), [2, 2, 1]);
    const seen = listed.flatMap((p) => p.resources);
    assert.deepEqual(sortedCopy(seen.map((r) => r.public_id)), sortedCopy(ids), 'images with the tag, the raw file not among them');
    for (const item of seen) {
      assertBrief(item, { format: 'webp' });
      assert.ok(item.tags.includes(tag), `${item.public_id}: tags ${item.tags}`);
    }

    const raw = await cloudinary.api.resources_by_tag(tag, { resource_type: 'raw' });
    assert.deepEqual(raw.resources.map((r) => r.public_id), [rawId]);
    assert.equal(raw.resources[0].resource_type, 'raw');

    const none = await cloudinary.api.resources_by_tag(`nothing${RUN}`);
    assert.deepEqual(none.resources, [], 'an unused tag lists nothing');
  }));

  it('resources_by_context by key, and by key and value; context: true', step(async () => {
    const key = `shade${RUN}`;
    const dark = [`${ROOT}/ctx/a`, `${ROOT}/ctx/b`];
    const light = `${ROOT}/ctx/c`;
    for (const id of dark) await upload('webp', id, { context: { [key]: 'dark', alt: 'x' } });
    await upload('webp', light, { context: { [key]: 'light' } });
    await upload('webp', `${ROOT}/ctx/none`, { context: { alt: 'no shade' } });

    const byKey = await cloudinary.api.resources_by_context(key, undefined, { context: true });
    assert.deepEqual(sortedCopy(byKey.resources.map((r) => r.public_id)), sortedCopy([...dark, light]));
    for (const item of byKey.resources) {
      assertBrief(item, { format: 'webp' });
      assert.ok(['dark', 'light'].includes(item.context?.custom?.[key]), `${item.public_id}: context ${JSON.stringify(item.context)}`);
    }
    const byValue = await cloudinary.api.resources_by_context(key, 'dark');
    assert.deepEqual(sortedCopy(byValue.resources.map((r) => r.public_id)), sortedCopy(dark));
  }));

  it('resources_by_ids, resources_by_asset_ids and resource_by_asset_id', step(async () => {
    const a = await upload('webp', `${ROOT}/ids/a`, { tags: ['ids-a'] });
    const b = await upload('png', `${ROOT}/ids/b`);
    await upload('webp', `${ROOT}/ids/c`);

    const byIds = await cloudinary.api.resources_by_ids([a.public_id, b.public_id, `${ROOT}/ids/missing`], { tags: true });
    assert.deepEqual(sortedCopy(byIds.resources.map((r) => r.public_id)), sortedCopy([a.public_id, b.public_id]),
      'exactly the existing ids asked for');
    const got = Object.fromEntries(byIds.resources.map((r) => [r.public_id, r]));
    assertBrief(got[a.public_id], { format: 'webp', bytes: bytesOf.webp.length });
    assertBrief(got[b.public_id], { format: 'png', bytes: bytesOf.png.length });
    assert.equal(got[a.public_id].asset_id, a.asset_id);
    assert.deepEqual(got[a.public_id].tags, ['ids-a']);
    assert.deepEqual(got[b.public_id].tags, [], 'tags: true gives an empty list for an untagged asset');

    const byAssetIds = await cloudinary.api.resources_by_asset_ids([a.asset_id, b.asset_id]);
    assert.deepEqual(sortedCopy(byAssetIds.resources.map((r) => r.asset_id)), sortedCopy([a.asset_id, b.asset_id]));
    assert.deepEqual(sortedCopy(byAssetIds.resources.map((r) => r.public_id)), sortedCopy([a.public_id, b.public_id]));

    const one = await cloudinary.api.resource_by_asset_id(b.asset_id);
    assert.equal(one.public_id, b.public_id);
    assert.equal(one.etag, md5(bytesOf.png));
  }));

  describe('resource details', () => {
    const state = {};
    const needs = () => assert.ok(state.photo, 'skipped: the upload step did not run');

    it('uploads photo.jpg with face coordinates', step(async () => {
      state.photo = await upload('jpg', `${ROOT}/details/photo`, { face_coordinates: [[10, 20, 30, 40]] });
    }));

    it('plain details carry the asset fields; a missing id is 404 "Resource not found - <id>"', step(async () => {
      needs();
      const res = await cloudinary.api.resource(state.photo.public_id);
      assertBrief(res, { format: 'jpg', bytes: bytesOf.jpg.length });
      assert.equal(res.public_id, state.photo.public_id);
      assert.equal(res.asset_id, state.photo.asset_id);
      assert.equal(res.etag, md5(bytesOf.jpg));
      assert.deepEqual(res.derived, [], 'no derived images yet');
      assert.equal(res.colors, undefined, 'no colors unless asked');
      assert.equal(res.exif, undefined, 'no exif unless asked');
      const missing = `${ROOT}/details/strange_name`;
      await expectError(cloudinary.api.resource(missing), 404, 'details of a missing id', new RegExp(`^Resource not found - ${missing}$`));
    }));

    it('colors: true gives [hex, percent] pairs and predominant colors', step(async () => {
      needs();
      const res = await cloudinary.api.resource(state.photo.public_id, { colors: true });
      assert.ok(Array.isArray(res.colors) && res.colors.length > 0 && res.colors.length <= 32,
        `colors: ${JSON.stringify(res.colors)}`);
      let total = 0;
      for (const [i, pair] of res.colors.entries()) {
        assert.ok(Array.isArray(pair) && pair.length === 2, `colors[${i}] is a pair: ${JSON.stringify(pair)}`);
        assert.match(pair[0], /^#[0-9A-Fa-f]{6}$/, `colors[${i}] hex`);
        assert.ok(typeof pair[1] === 'number' && pair[1] > 0 && pair[1] <= 100, `colors[${i}] percent ${pair[1]}`);
        if (i > 0) assert.ok(pair[1] <= res.colors[i - 1][1], 'colors are ordered by share, largest first');
        total += pair[1];
      }
      assert.ok(total <= 100.5, `the shares add up to at most 100 (got ${total})`);
      assert.ok(res.predominant && typeof res.predominant === 'object', `predominant: ${JSON.stringify(res.predominant)}`);
      const palettes = Object.values(res.predominant);
      assert.ok(palettes.length > 0, 'predominant has at least one palette (google, cloudinary)');
      for (const palette of palettes) {
        assert.ok(Array.isArray(palette) && palette.length > 0, `palette ${JSON.stringify(palette)}`);
        for (const [name, share] of palette) {
          assert.equal(typeof name, 'string');
          assert.ok(typeof share === 'number' && share > 0 && share <= 100, `predominant share ${share}`);
        }
      }
    }));

    it('exif: true and image_metadata: true give the camera fields as strings', step(async () => {
      needs();
      const res = await cloudinary.api.resource(state.photo.public_id, { exif: true });
      assert.ok(res.exif && typeof res.exif === 'object', `exif: ${JSON.stringify(res.exif)}`);
      assert.equal(res.exif.Make, 'Cloudlet');
      assert.equal(res.exif.Model, 'Testcam 640');
      assert.equal(res.exif.DateTimeOriginal, '2024:05:17 14:32:09');
      for (const [k, v] of Object.entries(res.exif)) assert.equal(typeof v, 'string', `exif.${k} is a string`);

      const meta = await cloudinary.api.resource(state.photo.public_id, { image_metadata: true });
      assert.ok(meta.image_metadata && typeof meta.image_metadata === 'object', `image_metadata: ${JSON.stringify(meta.image_metadata)}`);
      assert.equal(meta.image_metadata.Make, 'Cloudlet');
      assert.equal(meta.image_metadata.Model, 'Testcam 640');
      // cloudinary-go decodes image_metadata as map[string]string: every value must be a string.
      for (const [k, v] of Object.entries(meta.image_metadata)) assert.equal(typeof v, 'string', `image_metadata.${k} is a string`);
    }));

    it('faces: true gives the face coordinates as an array of [x, y, w, h]', step(async () => {
      needs();
      const res = await cloudinary.api.resource(state.photo.public_id, { faces: true });
      assert.deepEqual(res.faces, [[10, 20, 30, 40]]);
      const plain = await upload('webp', `${ROOT}/details/no-faces`);
      const none = await cloudinary.api.resource(plain.public_id, { faces: true });
      assert.ok(Array.isArray(none.faces), `faces is an array even with no face: ${JSON.stringify(none.faces)}`);
    }));

    it('faces, colors and exif together (the reference example)', step(async () => {
      needs();
      const res = await cloudinary.api.resource(state.photo.public_id, { faces: true, colors: true, exif: true });
      assert.deepEqual(res.faces, [[10, 20, 30, 40]]);
      assert.ok(Array.isArray(res.colors) && res.colors.length > 0);
      assert.equal(res.exif.Make, 'Cloudlet');
      assert.equal(res.public_id, state.photo.public_id);
    }));

    it('phash: true gives a perceptual hash', step(async (t) => {
      needs();
      const res = await cloudinary.api.resource(state.photo.public_id, { phash: true });
      assert.match(res.phash, /^[0-9a-f]{16}$/, `phash ${res.phash}`);
      const again = await cloudinary.api.resource(state.photo.public_id, { phash: true });
      assert.equal(again.phash, res.phash, 'phash is stable');
    }));
  });

  it('update replaces tags and context and answers with the details', step(async (t) => {
    const pid = `${ROOT}/update/photo`;
    await upload('webp', pid, { tags: ['old-a', 'old-b'], context: { caption: 'old', alt: 'old alt' } });
    const res = await call(t, `POST /resources/image/upload/${pid}`,
      () => cloudinary.api.update(pid, { tags: ['new-a', 'new-b'], context: { credit: 'me = you' } }));
    assert.equal(res.public_id, pid);
    assert.deepEqual(sortedCopy(res.tags), ['new-a', 'new-b'], 'the tags were replaced');
    assert.deepEqual(res.context, { custom: { credit: 'me = you' } }, 'the context was replaced');
    const details = await cloudinary.api.resource(pid);
    assert.deepEqual(sortedCopy(details.tags), ['new-a', 'new-b']);
    assert.deepEqual(details.context, { custom: { credit: 'me = you' } });
    assert.equal(details.bytes, bytesOf.webp.length, 'the file is unchanged');
  }));

  it('tags lists tag names by prefix, alphabetically, with paging', step(async () => {
    const p = `tg${RUN}-`;
    await upload('webp', `${ROOT}/tags/a`, { tags: [`${p}cherry`, `${p}apple`, 'unrelated'] });
    await upload('webp', `${ROOT}/tags/b`, { tags: [`${p}banana`, `${p}apple`] });
    await upload('txt', `${ROOT}/tags/raw.txt`, { resource_type: 'raw', tags: [`${p}rawonly`] });

    const all = await cloudinary.api.tags({ prefix: p });
    assert.deepEqual(all.tags, [`${p}apple`, `${p}banana`, `${p}cherry`], 'image tags with the prefix, each once, sorted');
    const listed = await pages((cursor) => cloudinary.api.tags({ prefix: p, max_results: 2, ...(cursor ? { next_cursor: cursor } : {}) }));
    assert.deepEqual(listed.map((page) => page.tags), [[`${p}apple`, `${p}banana`], [`${p}cherry`]]);
    const raw = await cloudinary.api.tags({ prefix: p, resource_type: 'raw' });
    assert.deepEqual(raw.tags, [`${p}rawonly`]);
    const everything = await cloudinary.api.tags({ max_results: 500 });
    assert.ok(everything.tags.includes('unrelated') && everything.tags.includes(`${p}apple`), 'tags() lists every image tag');
  }));

  it('transformations: list (named and used), details with info and derived, create, update, delete', step(async (t) => {
    const named = `adm_${RUN}`;
    const used = 'c_fill,h_40,w_40';
    const photo = await upload('jpg', `${ROOT}/tx/photo`);
    const fill = await deliver(photo, { width: 40, height: 40, crop: 'fill' });
    assert.match(fill.url, new RegExp(`/image/upload/${used}/v`));

    const created = await call(t, 'POST /transformations',
      () => cloudinary.api.create_transformation(named, { width: 30, height: 30, crop: 'fill' }));
    assert.equal(created.message, 'created');
    await expectError(cloudinary.api.create_transformation(named, 'w_10'), 409, 'creating an existing name');

    // GET /transformations, paged two at a time.
    const listing = await call(t, 'GET /transformations',
      () => pages((cursor) => cloudinary.api.transformations({ max_results: 2, ...(cursor ? { next_cursor: cursor } : {}) })));
    const items = listing.flatMap((p) => p.transformations);
    assert.ok(listing.every((p) => p.transformations.length <= 2), 'pages honour max_results');
    assert.equal(new Set(items.map((i) => i.name)).size, items.length, 'paging repeats no transformation');
    const byName = Object.fromEntries(items.map((i) => [i.name, i]));
    const namedItem = byName[`t_${named}`] || byName[named];
    assert.ok(namedItem, `the listing has the named transformation: ${JSON.stringify(items)}`);
    assert.equal(namedItem.named, true);
    assert.equal(typeof namedItem.allowed_for_strict, 'boolean');
    assert.equal(typeof namedItem.used, 'boolean');
    assert.ok(byName[used], `the listing has the used transformation ${used}: ${JSON.stringify(items)}`);
    assert.equal(byName[used].used, true);
    assert.equal(byName[used].named, false);
    const onlyNamed = await cloudinary.api.transformations({ named: true, max_results: 500 });
    assert.ok(onlyNamed.transformations.length > 0 && onlyNamed.transformations.every((i) => i.named === true),
      `named: true lists named transformations only: ${JSON.stringify(onlyNamed.transformations)}`);

    // GET /transformations?transformation=c_fill,h_40,w_40 — by string, and by parameters.
    const details = await cloudinary.api.transformation(used);
    assert.equal(details.name, used);
    assert.equal(details.used, true);
    assert.equal(details.allowed_for_strict, false);
    assert.equal(details.info.length, 1, `info: ${JSON.stringify(details.info)}`);
    assert.equal(details.info[0].width, 40);
    assert.equal(details.info[0].height, 40);
    assert.equal(details.info[0].crop, 'fill');
    assert.equal(details.derived.length, 1, `derived: ${JSON.stringify(details.derived)}`);
    const d = details.derived[0];
    assert.equal(d.public_id, photo.public_id);
    assert.equal(d.resource_type, 'image');
    assert.equal(d.type, 'upload');
    assert.equal(d.format, 'jpg');
    assert.equal(d.bytes, fill.body.length);
    assert.match(d.id, HEX32);
    const assetDerived = (await cloudinary.api.resource(photo.public_id)).derived;
    assert.deepEqual(assetDerived.map((x) => x.id), [d.id], 'the same derived id as in the asset details');
    const fetched = await fetchBytes(d.url);
    assert.equal(fetched.status, 200);
    assert.equal(md5(fetched.body), md5(fill.body), 'the derived url delivers the derived image');
    const byParams = await cloudinary.api.transformation({ width: 40, height: 40, crop: 'fill' });
    assert.equal(byParams.name, used);
    assert.deepEqual(byParams.derived.map((x) => x.id), [d.id]);

    const namedDetails = await cloudinary.api.transformation(named);
    assert.equal(namedDetails.named, true);
    assert.equal(namedDetails.info[0].width, 30);
    assert.equal(namedDetails.info[0].crop, 'fill');

    // PUT: allowed_for_strict on a string and on a named transformation; unsafe_update of the named one.
    const allowed = await cloudinary.api.update_transformation(used, { allowed_for_strict: true });
    assert.equal(allowed.message, 'updated');
    assert.equal((await cloudinary.api.transformation(used)).allowed_for_strict, true);
    for (const flag of [false, true]) {
      assert.equal((await cloudinary.api.update_transformation(named, { allowed_for_strict: flag })).message, 'updated');
      assert.equal((await cloudinary.api.transformation(named)).allowed_for_strict, flag, `named allowed_for_strict set to ${flag}`);
    }
    const changed = await cloudinary.api.update_transformation(named, { unsafe_update: { width: 20, height: 20, crop: 'fill' } });
    assert.equal(changed.message, 'updated');
    assert.equal((await cloudinary.api.transformation(named)).info[0].width, 20);
    const viaNamed = await deliver(photo, { transformation: [named] });
    assert.deepEqual([viaNamed.info.width, viaNamed.info.height], [20, 20], 't_<name> delivers the updated definition');

    // DELETE: the named one, then the string one (its derived image goes with it).
    assert.equal((await cloudinary.api.delete_transformation(named)).message, 'deleted');
    await expectError(cloudinary.api.transformation(named), 404, 'details of a deleted named transformation');
    assert.equal((await cloudinary.api.delete_transformation({ width: 40, height: 40, crop: 'fill' })).message, 'deleted');
    const after = (await cloudinary.api.resource(photo.public_id)).derived;
    assert.ok(!after.some((x) => x.transformation === used), `deleting ${used} deleted its derived image: ${JSON.stringify(after)}`);
    await expectError(cloudinary.api.transformation(used), 404, 'details of a deleted transformation');
  }));

  it('delete_resources by public ids: deleted map, deleted_counts, keep_original', step(async (t) => {
    const a = await upload('jpg', `${ROOT}/del/a`);
    const b = await upload('webp', `${ROOT}/del/b`);
    const keep = await upload('jpg', `${ROOT}/del/keep`);
    await deliver(a, { width: 20, crop: 'scale' });
    await deliver(keep, { width: 20, crop: 'scale' });
    await deliver(keep, { width: 30, crop: 'scale' });
    const missing = `${ROOT}/del/missing`;

    const res = await call(t, 'DELETE /resources/image/upload',
      () => cloudinary.api.delete_resources([a.public_id, b.public_id, missing]));
    assert.deepEqual(res.deleted, { [a.public_id]: 'deleted', [b.public_id]: 'deleted', [missing]: 'not_found' });
    assert.deepEqual(res.deleted_counts, {
      [a.public_id]: { original: 1, derived: 1 },
      [b.public_id]: { original: 1, derived: 0 },
      [missing]: { original: 0, derived: 0 },
    });
    assert.equal(res.partial, false);
    assert.ok(!res.next_cursor, 'no next_cursor when nothing is left');
    await expectError(cloudinary.api.resource(a.public_id), 404, 'details after delete');
    const gone = await fetchBytes(deliveryURL(a.public_id, { version: a.version, format: 'jpg' }));
    assert.equal(gone.status, 404, 'the deleted original is no longer delivered');

    const derivedOnly = await cloudinary.api.delete_resources([keep.public_id], { keep_original: true });
    assert.deepEqual(derivedOnly.deleted, { [keep.public_id]: 'deleted' });
    assert.deepEqual(derivedOnly.deleted_counts, { [keep.public_id]: { original: 0, derived: 2 } });
    const kept = await cloudinary.api.resource(keep.public_id);
    assert.equal(kept.etag, md5(bytesOf.jpg), 'keep_original keeps the original');
    assert.deepEqual(kept.derived, [], 'keep_original deletes the derived images');
  }));

  it('delete_resources_by_prefix deletes exactly the ids under the prefix', step(async (t) => {
    const inside = [`${ROOT}/bp/x/one`, `${ROOT}/bp/x/two`];
    for (const id of inside) await upload('webp', id);
    const outside = await upload('webp', `${ROOT}/bp/xylophone`);

    const res = await call(t, 'DELETE /resources/image/upload (prefix)',
      () => cloudinary.api.delete_resources_by_prefix(`${ROOT}/bp/x/`));
    assert.deepEqual(res.deleted, Object.fromEntries(inside.map((id) => [id, 'deleted'])));
    assert.equal(res.partial, false);
    const left = await cloudinary.api.resources({ type: 'upload', prefix: `${ROOT}/bp/` });
    assert.deepEqual(left.resources.map((r) => r.public_id), [outside.public_id]);
  }));

  it('delete_resources_by_tag deletes the tagged images only', step(async (t) => {
    const tag = `deltag${RUN}`;
    const tagged = [`${ROOT}/bt/one`, `${ROOT}/bt/two`];
    for (const id of tagged) await upload('webp', id, { tags: [tag, 'keep-me'] });
    const untagged = await upload('webp', `${ROOT}/bt/three`, { tags: ['keep-me'] });
    const raw = await upload('txt', `${ROOT}/bt/raw.txt`, { resource_type: 'raw', tags: [tag] });

    const res = await call(t, `DELETE /resources/image/tags/${tag}`, () => cloudinary.api.delete_resources_by_tag(tag));
    assert.deepEqual(res.deleted, Object.fromEntries(tagged.map((id) => [id, 'deleted'])));
    assert.equal(res.partial, false);
    assert.deepEqual((await cloudinary.api.resources_by_tag(tag)).resources, []);
    assert.equal((await cloudinary.api.resource(untagged.public_id)).public_id, untagged.public_id, 'the untagged image stays');
    const rawLeft = await cloudinary.api.resources_by_tag(tag, { resource_type: 'raw' });
    assert.deepEqual(rawLeft.resources.map((r) => r.public_id), [raw.public_id], 'an image tag delete leaves raw files');
  }));

  it('delete_all_resources for type private removes every private image and nothing else', step(async (t) => {
    const priv = [`${ROOT}/all/p1`, `${ROOT}/all/p2`];
    for (const id of priv) await upload('webp', id, { type: 'private' });
    const pub = await upload('webp', `${ROOT}/all/public`);

    const res = await call(t, 'DELETE /resources/image/private (all)', () => cloudinary.api.delete_all_resources({ type: 'private' }));
    for (const id of priv) assert.equal(res.deleted[id], 'deleted', `${id} deleted: ${JSON.stringify(res.deleted)}`);
    assert.ok(Object.values(res.deleted).every((v) => v === 'deleted'), 'every entry is "deleted"');
    assert.equal(res.partial, false);
    assert.deepEqual((await cloudinary.api.resources({ type: 'private', max_results: 500 })).resources, [], 'no private image left');
    assert.equal((await cloudinary.api.resource(pub.public_id)).public_id, pub.public_id, 'the upload-type image stays');
  }));

  it('delete_derived_resources with ids from the details\' derived list', step(async (t) => {
    const photo = await upload('jpg', `${ROOT}/dd/photo`);
    await deliver(photo, { width: 20, crop: 'scale' });
    await deliver(photo, { width: 30, crop: 'scale' });
    const before = (await cloudinary.api.resource(photo.public_id)).derived;
    assert.equal(before.length, 2, `two derived images: ${JSON.stringify(before)}`);
    const [drop, stay] = before;

    const res = await call(t, 'DELETE /derived_resources', () => cloudinary.api.delete_derived_resources([drop.id]));
    assert.deepEqual(res.deleted, { [drop.id]: 'deleted' });
    const after = (await cloudinary.api.resource(photo.public_id)).derived;
    assert.deepEqual(after.map((x) => x.id), [stay.id], 'only the other derived image is left');
    const unknown = 'f'.repeat(32);
    const again = await cloudinary.api.delete_derived_resources([drop.id, unknown]);
    assert.deepEqual(again.deleted, { [drop.id]: 'not_found', [unknown]: 'not_found' });
  }));

  it('delete_derived_by_transformation deletes that transformation\'s derived image only', step(async (t) => {
    const photo = await upload('jpg', `${ROOT}/dt/photo`);
    await deliver(photo, { width: 20, crop: 'scale' });
    await deliver(photo, { width: 30, crop: 'scale' });

    const res = await call(t, 'DELETE /resources/image/upload (keep_original, transformations)',
      () => cloudinary.api.delete_derived_by_transformation([photo.public_id], [{ width: 20, crop: 'scale' }]));
    const sent = lastExchange((ex) => ex.method === 'DELETE');
    assert.match(requestBody(sent).toString('latin1'), /transformations=c_scale%2Cw_20/, 'the SDK sent transformations=c_scale,w_20');
    assert.deepEqual(res.deleted, { [photo.public_id]: 'deleted' });
    if (res.deleted_counts) assert.deepEqual(res.deleted_counts, { [photo.public_id]: { original: 0, derived: 1 } });
    const details = await cloudinary.api.resource(photo.public_id);
    assert.deepEqual(details.derived.map((x) => x.transformation), ['c_scale,w_30']);
    assert.equal(details.etag, md5(bytesOf.jpg), 'the original stays');
  }));

  it('usage: counts reflect uploads, derived images and delivered bandwidth', step(async (t) => {
    const before = await call(t, 'GET /usage', () => cloudinary.api.usage());
    assert.equal(typeof before.plan, 'string');
    assert.match(String(before.last_updated), /^\d{4}-\d{2}-\d{2}/, `last_updated ${before.last_updated}`);
    for (const k of ['objects', 'bandwidth', 'storage']) {
      assert.ok(before[k] && Number.isInteger(before[k].usage) && before[k].usage >= 0, `${k}.usage: ${JSON.stringify(before[k])}`);
      assert.ok(typeof before[k].limit === 'number', `${k}.limit`);
      assert.ok(typeof before[k].used_percent === 'number', `${k}.used_percent`);
    }
    for (const k of ['requests', 'resources', 'derived_resources']) {
      assert.ok(Number.isInteger(before[k]) && before[k] >= 0, `${k}: ${before[k]}`);
    }
    assert.ok(Number.isInteger(before.rate_limit_allowed), 'usage carries the rate-limit values');

    const a = await upload('jpg', `${ROOT}/usage/a`);
    await upload('png', `${ROOT}/usage/b`);
    const original = await deliver(a);
    const scaled = await deliver(a, { width: 25, crop: 'scale' });

    const after = await cloudinary.api.usage();
    assert.equal(after.resources - before.resources, 2, 'two more resources');
    assert.equal(after.derived_resources - before.derived_resources, 1, 'one more derived resource');
    assert.ok(after.storage.usage - before.storage.usage >= bytesOf.jpg.length + bytesOf.png.length,
      `storage grew by ${after.storage.usage - before.storage.usage}, want at least the uploaded bytes`);
    assert.ok(after.bandwidth.usage - before.bandwidth.usage >= original.body.length + scaled.body.length,
      `bandwidth grew by ${after.bandwidth.usage - before.bandwidth.usage}, want at least ${original.body.length + scaled.body.length} delivered bytes`);
    assert.ok(after.requests > before.requests, `requests grew: ${before.requests} -> ${after.requests}`);
    // The reference's sample: objects 11330 = resources 1239 + derived_resources 10091.
    for (const u of [before, after]) {
      assert.equal(u.objects.usage, u.resources + u.derived_resources,
        `objects.usage ${u.objects.usage} = resources ${u.resources} + derived_resources ${u.derived_resources}`);
    }
  }));

  it('search: expression, sort_by, max_results, next_cursor, with_field', step(async (t) => {
    const tag = `srch${RUN}`;
    const pngs = [`${ROOT}/search/p1`, `${ROOT}/search/p2`, `${ROOT}/search/p3`];
    for (const id of [...pngs].reverse()) await upload('png', id, { tags: [tag], context: { alt: `alt ${id.slice(-2)}` } });
    for (const id of [`${ROOT}/search/w1`, `${ROOT}/search/w2`]) await upload('webp', id, { tags: [tag] });
    await upload('png', `${ROOT}/search/untagged`);

    const expression = `tags:${tag} AND format:png`;
    const first = await call(t, 'POST /resources/search',
      () => cloudinary.search.expression(expression).sort_by('public_id', 'asc').max_results(2).execute());
    assert.equal(first.total_count, 3);
    assert.deepEqual(first.resources.map((r) => r.public_id), pngs.slice(0, 2), 'sorted by public_id ascending');
    assert.ok(first.next_cursor, 'a next_cursor for the third match');
    for (const r of first.resources) {
      assert.equal(r.format, 'png');
      assert.equal(r.resource_type, 'image');
      assert.equal(r.type, 'upload');
      assert.equal(r.bytes, bytesOf.png.length);
      assert.ok(r.width > 0 && r.height > 0);
      assert.match(r.asset_id, HEX32);
      assert.ok(!Number.isNaN(Date.parse(r.created_at)), `created_at ${r.created_at}`);
      assert.ok(r.url && r.secure_url);
    }
    const second = await cloudinary.search.expression(expression).sort_by('public_id', 'asc').max_results(2)
      .next_cursor(first.next_cursor).execute();
    assert.deepEqual(second.resources.map((r) => r.public_id), pngs.slice(2));
    assert.equal(second.total_count, 3);
    assert.ok(!second.next_cursor, 'the last page has no next_cursor');

    // The SDK sends the action "resources/search" as one encoded segment (resources%2Fsearch).
    const sent = lastExchange((ex) => decodeURIComponent(new URL(ex.url).pathname).endsWith('/resources/search'));
    assert.equal(JSON.parse(requestBody(sent).toString('utf8')).expression, expression, 'the SDK posted the expression as JSON');

    const desc = await cloudinary.search.expression(`tags:${tag}`).sort_by('public_id', 'desc')
      .with_field('tags').with_field('context').max_results(10).execute();
    assert.equal(desc.total_count, 5);
    assert.deepEqual(desc.resources.map((r) => r.public_id), [...desc.resources.map((r) => r.public_id)].sort().reverse());
    for (const r of desc.resources) assert.ok(Array.isArray(r.tags) && r.tags.includes(tag), `${r.public_id}: with_field tags`);
    const p1 = desc.resources.find((r) => r.public_id === pngs[0]);
    assert.deepEqual(p1.context, { alt: 'alt p1' }, 'search results carry context flat (not under custom)');

    const byPrefix = await cloudinary.search.expression(`public_id:${ROOT}/search/*`).max_results(0).execute();
    assert.equal(byPrefix.total_count, 6, 'a public_id prefix matches all six uploads');
  }));

  it('folders: create_folder, root_folders, sub_folders, delete_folder refused when not empty', step(async (t) => {
    const root = `fold${RUN}`;
    const created = await call(t, `POST /folders/${root}/empty/sub`, () => cloudinary.api.create_folder(`${root}/empty/sub`));
    assert.equal(created.success, true);
    assert.equal(created.path, `${root}/empty/sub`);
    assert.equal(created.name, 'sub');
    await upload('webp', 'pic', { folder: `${root}/full` });

    const roots = await cloudinary.api.root_folders({ max_results: 500 });
    const mine = roots.folders.find((f) => f.name === root);
    assert.ok(mine, `root_folders lists ${root}: ${JSON.stringify(roots.folders)}`);
    assert.equal(mine.path, root);
    assert.ok(Number.isInteger(roots.total_count) && roots.total_count >= roots.folders.length, `total_count ${roots.total_count}`);

    const subs = await cloudinary.api.sub_folders(root);
    assert.deepEqual(subs.folders.map((f) => [f.name, f.path]).sort(),
      [['empty', `${root}/empty`], ['full', `${root}/full`]], 'an upload into a folder creates it');
    assert.equal(subs.total_count, 2);
    const deeper = await cloudinary.api.sub_folders(`${root}/empty`);
    assert.deepEqual(deeper.folders.map((f) => f.path), [`${root}/empty/sub`]);
    await expectError(cloudinary.api.sub_folders(`${root}/nope`), 404, 'sub_folders of a missing folder');

    await expectError(cloudinary.api.delete_folder(`${root}/full`), 400, 'deleting a folder that holds an image');
    assert.ok((await cloudinary.api.sub_folders(root)).folders.some((f) => f.name === 'full'), 'the refused folder is still there');

    const deleted = await cloudinary.api.delete_folder(`${root}/empty`);
    assert.deepEqual(sortedCopy(deleted.deleted), [`${root}/empty`, `${root}/empty/sub`]);
    assert.deepEqual((await cloudinary.api.sub_folders(root)).folders.map((f) => f.name), ['full']);
  }));

  it('upload presets: create, list, read, update, upload with it (signed and unsigned), delete', step(async (t) => {
    const name = `adm_preset_${RUN}`;
    const unsignedName = `adm_unsigned_${RUN}`;
    const folder = `${ROOT}/preset`;
    const tagsOf = (settings) => (Array.isArray(settings.tags) ? settings.tags : String(settings.tags).split(','));

    const created = await call(t, 'POST /upload_presets',
      () => cloudinary.api.create_upload_preset({ name, unsigned: false, tags: ['from-preset', 'p2'], folder }));
    assert.equal(created.message, 'created');
    assert.equal(created.name, name);

    const listed = await cloudinary.api.upload_presets({ max_results: 500 });
    const item = listed.presets.find((p) => p.name === name);
    assert.ok(item, `upload_presets lists ${name}: ${JSON.stringify(listed.presets)}`);
    assert.equal(item.unsigned, false);
    assert.equal(item.settings.folder, folder);

    const one = await cloudinary.api.upload_preset(name);
    assert.equal(one.name, name);
    assert.equal(one.unsigned, false);
    assert.equal(one.settings.folder, folder);
    assert.deepEqual(sortedCopy(tagsOf(one.settings)), ['from-preset', 'p2']);

    const updated = await cloudinary.api.update_upload_preset(name, { tags: ['updated-tag'], folder });
    assert.equal(updated.message, 'updated');
    assert.deepEqual(tagsOf((await cloudinary.api.upload_preset(name)).settings), ['updated-tag']);

    const signed = await cloudinary.uploader.upload(files.webp, { upload_preset: name, public_id: 'signed' });
    assert.equal(signed.public_id, `${folder}/signed`, 'the preset folder is applied');
    assert.deepEqual(signed.tags, ['updated-tag'], 'the preset tags are applied');

    await assert.rejects(cloudinary.uploader.unsigned_upload(files.webp, name), (err) => {
      const e = err.error || err;
      assert.ok([400, 401].includes(e.http_code), `an unsigned upload with a signed preset: HTTP ${e.http_code}, want 400 or 401`);
      assert.match(e.message, /unsigned/i, 'the error says the preset is not for unsigned uploads');
      return true;
    });

    const u = await cloudinary.api.create_upload_preset({ name: unsignedName, unsigned: true, tags: ['unsigned-tag'], folder: `${folder}/u` });
    assert.equal(u.message, 'created');
    assert.equal((await cloudinary.api.upload_preset(unsignedName)).unsigned, true);
    const anon = await cloudinary.uploader.unsigned_upload(files.png, unsignedName, { public_id: 'anon' });
    const sent = requestBody(lastExchange((ex) => ex.url.endsWith('/image/upload') || ex.url.endsWith('/auto/upload')))
      .toString('latin1');
    assert.doesNotMatch(sent, /name="signature"/, 'the unsigned upload carried no signature');
    assert.match(sent, new RegExp(`name="upload_preset"\\r\\n\\r\\n${unsignedName}\\r\\n`));
    assert.equal(anon.public_id, `${folder}/u/anon`);
    assert.deepEqual(anon.tags, ['unsigned-tag']);
    assert.equal(anon.bytes, bytesOf.png.length);

    for (const n of [name, unsignedName]) {
      assert.equal((await cloudinary.api.delete_upload_preset(n)).message, 'deleted');
      await expectError(cloudinary.api.upload_preset(n), 404, `reading the deleted preset ${n}`);
    }
    assert.ok(!(await cloudinary.api.upload_presets({ max_results: 500 })).presets.some((p) => p.name === name),
      'the deleted preset is no longer listed');
  }));
});
