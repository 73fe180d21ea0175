import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradientJpeg, pngBomb, sideBySide } from '../src/identity/face-engine/test-images.js';
import { photoPrefix } from '../src/identity/identity.service.js';
import { availableDialects, createTestStore, type TestStore } from './dialects.js';
import { startTestService, tempDir, type TestService } from './helpers.js';
import { multipart, photo, requireFacesDev } from './identity-fixtures.js';

const dataDir = requireFacesDev();
const KEY = randomBytes(32).toString('hex');

// The identity API against every store dialect; one face engine (1 worker) per dialect.
describe.skipIf(!dataDir).each(await availableDialects())('identity API on %s', (dialect) => {
  const dir = dataDir ?? '';
  let t: TestService;
  let store: TestStore;
  const img = {} as Record<'alice1' | 'alice2' | 'bob1' | 'bob2' | 'spoofScored', Buffer>;
  const b64 = (image: Buffer) => image.toString('base64');
  const enroll = (user: string, image: Buffer, headers = {}) =>
    t.request({
      method: 'POST',
      url: `/v1/identities/${user}/faces`,
      payload: { image_base64: b64(image) },
      headers,
    });
  const verify = (user: string, image: Buffer, extra: Record<string, unknown> = {}) =>
    t.request({
      method: 'POST',
      url: `/v1/identities/${user}/verify`,
      payload: { image_base64: b64(image), ...extra },
    });

  beforeAll(async () => {
    store = await createTestStore(dialect);
    // SQLite: no key configured, so one is generated beside the database. PostgreSQL: configured.
    const folder = tempDir();
    t = await startTestService(
      {
        databaseUrl: store.url,
        faceWorkers: 1,
        keepReferencePhotos: true,
        blobDir: join(folder, 'blobs'),
        ...(dialect === 'postgres' ? { encryptionKey: KEY } : {}),
      },
      folder,
    );
    for (const name of ['alice1', 'alice2', 'bob1', 'bob2', 'spoofScored'] as const)
      img[name] = await photo(dir, name);
  });
  afterAll(async () => {
    await t.destroy();
    await store.drop();
  });

  it('reports the face engine idle until the first identity request', async () => {
    const res = await t.request({ method: 'GET', url: '/readyz' });
    expect(res.json().checks.face_engine).toBe('ok');
    expect(t.service.identity.engine.state).toBe('idle');
  });

  it('enrolls reference faces from JSON and multipart uploads', async () => {
    const first = await enroll('alice', img.alice1);
    expect(first.statusCode).toBe(201);
    const body = first.json();
    expect(body).toMatchObject({ user_id: 'alice', templates: 1, photo_kept: true });
    expect(body.template_id).toMatch(/^tpl_/);
    expect(body.liveness.passed).toBe(true);
    const box = body.face.bounding_box;
    for (const v of [box.left, box.top, box.width, box.height]) expect(v).toBeGreaterThanOrEqual(0);
    expect(box.left + box.width).toBeLessThanOrEqual(1.01);
    expect(body.face.quality.size_px).toBeGreaterThanOrEqual(80);
    const form = await multipart({ image: img.bob1 });
    const second = await t.request({ method: 'POST', url: '/v1/identities/bob/faces', ...form });
    expect(second.statusCode).toBe(201);
    expect(second.json()).toMatchObject({ user_id: 'bob', templates: 1 });
    expect(t.service.identity.engine.state).toBe('ready');
  });

  it('matches the same person and not a different one, logging both', async () => {
    const same = await verify('alice', img.alice2, { movement: 'login', transaction_id: 'tx-1' });
    expect(same.statusCode).toBe(200);
    const match = same.json();
    expect(match).toMatchObject({
      user_id: 'alice',
      match: true,
      threshold: 80,
      movement: 'login',
      transaction_id: 'tx-1',
    });
    expect(match.similarity).toBeGreaterThanOrEqual(80);
    expect(match.similarity).toBeLessThanOrEqual(100);
    expect(match.face.bounding_box.width).toBeGreaterThan(0);
    expect(typeof match.latency_ms).toBe('number');
    expect(Date.parse(match.processed_at)).not.toBeNaN();
    const other = await verify('alice', img.bob2);
    expect(other.json()).toMatchObject({ match: false, threshold: 80 });
    expect(other.json().similarity).toBeLessThan(80);
    const form = await multipart({ image: img.bob2 }, { movement: 'payment', similarity_threshold: '75' });
    const multi = await t.request({ method: 'POST', url: '/v1/identities/bob/verify', ...form });
    expect(multi.json()).toMatchObject({ match: true, threshold: 75, movement: 'payment' });
    const logged = await t.request({ method: 'GET', url: `/v1/verifications/${match.verification_id}` });
    expect(logged.json()).toMatchObject({
      verification_id: match.verification_id,
      user_id: 'alice',
      result: 'match',
      similarity: match.similarity,
      movement: 'login',
      transaction_id: 'tx-1',
      reason: null,
      actor: 'env-admin',
    });
    expect(logged.json().request_id).toBe(same.headers['x-request-id']);
  });

  it("refuses another person's face as a user's second reference, and takes the same person's", async () => {
    expect((await enroll('erin', img.alice1)).statusCode).toBe(201);
    const other = await enroll('erin', img.bob1);
    expect(other.statusCode).toBe(409);
    const { error } = other.json();
    expect(error).toMatchObject({ code: 'FACE_MISMATCH', details: { threshold: 70 } });
    expect(error.details.similarity).toBeLessThan(70);
    // bob1 was not stored: bob's other photo does not verify as erin
    expect((await verify('erin', img.bob2)).json().match).toBe(false);
    const same = await enroll('erin', img.alice2);
    expect([same.statusCode, same.json().templates]).toEqual([201, 2]);
  });

  it('stores one person when two first enrollments of a user with different faces arrive together', async () => {
    const both = await Promise.all([enroll('fay', img.alice1), enroll('fay', img.bob1)]);
    const statuses = both.map((r) => r.statusCode);
    // End to end on both stores; the window between check and insert is held open in enrollment-race.test.ts.
    expect([...statuses].sort()).toEqual([201, 409]);
    expect(both.find((r) => r.statusCode === 409)?.json().error.code).toBe('FACE_MISMATCH');
    const winner = statuses[0] === 201 ? 'alice' : 'bob';
    expect((await verify('fay', winner === 'alice' ? img.alice2 : img.bob2)).json().match).toBe(true);
    expect((await verify('fay', winner === 'alice' ? img.bob2 : img.alice2)).json().match).toBe(false);
    // The refused photo is not kept either.
    const photos = join(t.dir, 'blobs', photoPrefix('fay'));
    expect(readdirSync(photos)).toHaveLength(1);
  });

  it('refuses thresholds outside the configured bounds', async () => {
    const res = await verify('alice', img.alice2, { similarity_threshold: 50 });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
  });

  it('rejects bad photos with the engine codes, and logs rejected verifications', async () => {
    const jpeg = await gradientJpeg(320, 240);
    const huge = await sharp({ create: { width: 5100, height: 5100, channels: 3, background: '#777' } })
      .png()
      .toBuffer();
    const two = await sideBySide(img.alice1, img.bob1);
    // A 250 px photo shrunk to 100 px on a grey canvas: a face of ~55 px.
    const small = await sharp(img.bob1)
      .resize(100, 100)
      .extend({ top: 150, bottom: 150, left: 150, right: 150, background: '#808080' })
      .jpeg()
      .toBuffer();
    // Gaussian blur σ 3: the face is still found, but its chip's sharpness falls under 4.
    const blurred = await sharp(img.alice1).blur(3).jpeg().toBuffer();
    const gif = await sharp(jpeg).gif().toBuffer();
    const cases: [Buffer, number, string][] = [
      [jpeg.subarray(0, jpeg.length / 2), 400, 'INVALID_IMAGE'],
      [Buffer.from('%PDF-1.4 this is not an image'), 400, 'INVALID_IMAGE'],
      [gif, 400, 'INVALID_IMAGE'],
      [huge, 413, 'IMAGE_TOO_LARGE'],
      [await pngBomb(), 413, 'IMAGE_TOO_LARGE'],
      [randomBytes(5 * 1024 * 1024 + 10), 413, 'IMAGE_TOO_LARGE'],
      [jpeg, 422, 'NO_FACE'],
      [two, 422, 'MULTIPLE_FACES'],
      [small, 422, 'FACE_TOO_SMALL'],
      [blurred, 422, 'LOW_QUALITY'],
      [img.spoofScored, 422, 'SPOOF_SUSPECTED'],
    ];
    for (const [image, status, code] of cases) {
      const res = await enroll('carol', image);
      expect([res.statusCode, res.json().error.code], code).toEqual([status, code]);
    }
    const blurry = await enroll('carol', blurred);
    expect(blurry.json().error.details.problems).toEqual(['blurred']);
    const tooSmall = (await enroll('carol', small)).json().error.details;
    expect(tooSmall).toEqual({ size_px: expect.any(Number), min_size_px: 80 });
    expect(tooSmall.size_px).toBeLessThan(80);
    expect((await t.request({ method: 'GET', url: '/v1/verifications?user_id=carol' })).json().items).toEqual(
      [],
    );
    const rejected = await verify('alice', jpeg);
    expect(rejected.statusCode).toBe(422);
    const id = rejected.json().error.details.verification_id;
    const logged = await t.request({ method: 'GET', url: `/v1/verifications/${id}` });
    expect(logged.json()).toMatchObject({
      result: 'rejected',
      reason: 'NO_FACE',
      similarity: null,
      match: false,
    });
    // Too many pixels: refused by the engine inside the service, logged there once.
    const before = (await t.request({ method: 'GET', url: '/v1/verifications?user_id=alice' })).json();
    const hugeVerify = await verify('alice', huge);
    expect([hugeVerify.statusCode, hugeVerify.json().error.code]).toEqual([413, 'IMAGE_TOO_LARGE']);
    const after = (await t.request({ method: 'GET', url: '/v1/verifications?user_id=alice' })).json();
    expect(after.items.length - before.items.length).toBe(1);
    expect(after.items[0]).toMatchObject({
      verification_id: hugeVerify.json().error.details.verification_id,
      reason: 'IMAGE_TOO_LARGE',
    });
    const unknown = await verify('nobody', img.alice2);
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([404, 'NOT_ENROLLED']);
  });

  it('refuses a multipart file over 5 MB and a JSON body over the route limit as IMAGE_TOO_LARGE, logging verifications', async () => {
    const form = await multipart({ image: randomBytes(5 * 1024 * 1024 + 10) });
    const res = await t.request({ method: 'POST', url: '/v1/identities/alice/verify', ...form });
    expect([res.statusCode, res.json().error.code]).toEqual([413, 'IMAGE_TOO_LARGE']);
    const tooBig = await enroll('alice', randomBytes(6 * 1024 * 1024));
    expect([tooBig.statusCode, tooBig.json().error.code]).toEqual([413, 'IMAGE_TOO_LARGE']);
    const tooBigVerify = await verify('alice', randomBytes(6 * 1024 * 1024));
    expect([tooBigVerify.statusCode, tooBigVerify.json().error.code]).toEqual([413, 'IMAGE_TOO_LARGE']);
    // Compare's limit is twice the others', and its message says so.
    const bigCompare = await t.request({
      method: 'POST',
      url: '/v1/faces/compare',
      payload: { source: 'A'.repeat(14_700_000), target: 'A' },
    });
    expect([bigCompare.statusCode, bigCompare.json().error.code]).toEqual([413, 'IMAGE_TOO_LARGE']);
    expect(bigCompare.json().error.message).toContain(`over ${2 * t.config.imageBodyLimitBytes} bytes`);
    // Under a user id the route would refuse (the body limit fails before the path is
    // checked), nothing is logged: no NUL character or 300-character id in the log.
    for (const user of ['nul%00x', 'u'.repeat(300)]) {
      const odd = await verify(user, randomBytes(6 * 1024 * 1024));
      expect(odd.statusCode, user).toBe(413);
      expect(odd.json().error.details?.verification_id, user).toBeUndefined();
    }
    const logged = (await t.request({ method: 'GET', url: '/v1/verifications?limit=500' })).json();
    const users: string[] = logged.items.map((v: { user_id: string }) => v.user_id);
    expect(users.filter((u) => u.length > 128 || u.includes('\0'))).toEqual([]);
    for (const answer of [res, tooBigVerify]) {
      const id = answer.json().error.details.verification_id;
      const logged = await t.request({ method: 'GET', url: `/v1/verifications/${id}` });
      expect(logged.json()).toMatchObject({
        user_id: 'alice',
        result: 'rejected',
        reason: 'IMAGE_TOO_LARGE',
        request_id: answer.headers['x-request-id'],
        actor: 'env-admin',
      });
    }
  });

  it('answers 400 BAD_REQUEST for a multipart body that cannot be read', async () => {
    const cut = await multipart({ image: img.bob1 });
    const bodies = {
      'no boundary': { headers: { 'content-type': 'multipart/form-data' }, payload: 'abc' },
      'cut inside a part': {
        headers: cut.headers,
        payload: cut.payload.subarray(0, cut.payload.length / 2),
      },
    };
    for (const [name, body] of Object.entries(bodies)) {
      for (const url of ['/v1/identities/carol/faces', '/v1/identities/alice/verify']) {
        const res = await t.request({ method: 'POST', url, ...body });
        expect([res.statusCode, res.json().error.code], `${name} ${url}`).toEqual([400, 'BAD_REQUEST']);
        expect(res.json().error.message).toMatch(/^The multipart body cannot be read: /);
      }
    }
  });

  it('filters and pages the verification log', async () => {
    const list = async (query: string) =>
      (await t.request({ method: 'GET', url: `/v1/verifications?${query}` })).json();
    const all = await list('limit=500');
    expect(all.items.length).toBeGreaterThanOrEqual(5);
    const alice = await list('user_id=alice');
    expect(alice.items.every((v: { user_id: string }) => v.user_id === 'alice')).toBe(true);
    expect((await list('result=match')).items.map((v: { result: string }) => v.result)).not.toContain(
      'no_match',
    );
    const rejected = await list('result=rejected');
    expect(rejected.items.map((v: { reason: string }) => v.reason)).toEqual(
      expect.arrayContaining(['NO_FACE', 'NOT_ENROLLED']),
    );
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await list(`from=${future}`)).items).toEqual([]);
    expect((await list(`to=${future}`)).items.length).toBe(all.items.length);
    const page1 = await list('limit=2');
    const page2 = await list(`limit=2&cursor=${encodeURIComponent(page1.next_cursor)}`);
    expect(page1.items.map((v: { verification_id: string }) => v.verification_id)).toEqual(
      all.items.slice(0, 2).map((v: { verification_id: string }) => v.verification_id),
    );
    expect(page2.items[0].verification_id).toBe(all.items[2].verification_id);
    for (const item of all.items) {
      expect(Object.keys(item).sort()).toEqual([
        'actor',
        'at',
        'latency_ms',
        'match',
        'movement',
        'reason',
        'request_id',
        'result',
        'similarity',
        'threshold',
        'transaction_id',
        'user_id',
        'verification_id',
      ]);
    }
  });

  it('compares the largest source face with every target face (CompareFaces shape)', async () => {
    const target = await sideBySide(img.bob2, img.alice2);
    const res = await t.request({
      method: 'POST',
      url: '/v1/faces/compare',
      payload: { source: b64(img.alice1), target: b64(target) },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual([
      'face_matches',
      'similarity_threshold',
      'source_face',
      'unmatched_faces',
    ]);
    expect(body.source_face.confidence).toBeGreaterThan(0.5);
    expect(body.face_matches).toHaveLength(1);
    expect(body.face_matches[0].similarity).toBeGreaterThanOrEqual(80);
    expect(body.face_matches[0].face.bounding_box.left).toBeGreaterThan(0.5); // alice is on the right
    expect(body.unmatched_faces).toHaveLength(1);
    expect(body.unmatched_faces[0].bounding_box.left).toBeLessThan(0.5);
    const lenient = await t.request({
      method: 'POST',
      url: '/v1/faces/compare',
      ...(await multipart({ source: img.alice1, target }, { similarity_threshold: '70' })),
    });
    expect(lenient.json().similarity_threshold).toBe(70);
    const sims = lenient.json().face_matches.map((m: { similarity: number }) => m.similarity);
    expect(sims).toEqual([...sims].sort((a, b) => b - a));
    const noFace = await t.request({
      method: 'POST',
      url: '/v1/faces/compare',
      payload: { source: b64(await gradientJpeg()), target: b64(img.alice2) },
    });
    expect([noFace.statusCode, noFace.json().error.code]).toEqual([422, 'NO_FACE']);
    expect(noFace.json().error.details.field).toBe('source');
    // A failure names the image it is about.
    const badTarget = await t.request({
      method: 'POST',
      url: '/v1/faces/compare',
      payload: { source: b64(img.alice1), target: b64(Buffer.from('not an image')) },
    });
    expect([badTarget.statusCode, badTarget.json().error.code]).toEqual([400, 'INVALID_IMAGE']);
    expect(badTarget.json().error.details.field).toBe('target');
    expect(badTarget.json().error.message).toMatch(/^The target image: /);
  });

  it('reads form fields strictly: one file per image, thresholds in decimal, the JSON field named', async () => {
    const twice = await t.request({
      method: 'POST',
      url: '/v1/identities/alice/verify',
      ...(await multipart({ image: img.alice2 }, {}, [['image', img.bob1]])),
    });
    expect([twice.statusCode, twice.json().error.details[0]]).toEqual([
      400,
      expect.objectContaining({ field: 'image', code: 'duplicate' }),
    ]);
    const hex = await t.request({
      method: 'POST',
      url: '/v1/identities/alice/verify',
      ...(await multipart({ image: img.alice2 }, { similarity_threshold: '0x50' })),
    });
    expect([hex.statusCode, hex.json().error.details[0].field]).toEqual([400, 'similarity_threshold']);
    const unknown = await t.request({
      method: 'POST',
      url: '/v1/identities/alice/verify',
      ...(await multipart({ image: img.alice2 }, { similarity_treshold: '90' })),
    });
    expect([unknown.statusCode, unknown.json().error.details[0].field]).toEqual([400, 'similarity_treshold']);
    expect(unknown.json().error.message).toContain('this route reads image (a file), movement');
    const unknownFile = await t.request({
      method: 'POST',
      url: '/v1/faces/compare',
      ...(await multipart({ source: img.alice1, photo: img.alice2 })),
    });
    expect([unknownFile.statusCode, unknownFile.json().error.details[0].field]).toEqual([400, 'photo']);
    // A blank user id (no transaction can carry one) is not enrolled.
    const blank = await t.request({
      method: 'POST',
      url: '/v1/identities/%20%20/faces',
      ...(await multipart({ image: img.alice1 })),
    });
    expect([blank.statusCode, blank.json().error.details[0].field]).toEqual([400, 'params.userId']);
    // An image sent as text (curl -F image=photo.jpg, without the @) is named as such.
    const asText = await t.request({
      method: 'POST',
      url: '/v1/identities/alice/verify',
      ...(await multipart({}, { image: 'photo.jpg' })),
    });
    expect([asText.statusCode, asText.json().error.details[0]]).toEqual([
      400,
      expect.objectContaining({ field: 'image', code: 'type' }),
    ]);
    // Base64 holding other characters is refused: Node's decoder skipped them, giving another image.
    const base64 = img.alice2.toString('base64');
    for (const bad of [`${base64}!!!garbage`, '!!!notbase64!!!', 'abcde', 'QUJDRA=', 'data:,QUJD']) {
      const res = await t.request({
        method: 'POST',
        url: '/v1/identities/alice/verify',
        payload: { image_base64: bad },
      });
      expect([res.statusCode, res.json().error.details[0]], bad.slice(-12)).toEqual([
        400,
        expect.objectContaining({ field: 'image_base64', code: 'format' }),
      ]);
    }
    // Line-wrapped base64 (base64 without -w0) and a data: URL are read.
    for (const good of [base64.replace(/(.{76})/g, '$1\n'), `DATA:image/jpeg;base64,${base64}`]) {
      const res = await t.request({
        method: 'POST',
        url: '/v1/identities/alice/verify',
        payload: { image_base64: good },
      });
      expect([res.statusCode, res.json().match], good.slice(0, 12)).toEqual([200, true]);
    }
    // A third file on compare, and a field given twice, are named too (not a 413, not the last one).
    for (const [url, extra, field] of [
      ['/v1/faces/compare', { target: img.alice2, image: img.bob1 }, 'image'],
      ['/v1/faces/compare', { target: img.alice2 }, 'source'],
    ] as const) {
      const res = await t.request({
        method: 'POST',
        url,
        ...(await multipart(
          { source: img.alice1, ...extra },
          {},
          field === 'source' ? [['source', img.bob1]] : [],
        )),
      });
      expect([res.statusCode, res.json().error.details[0]], field).toEqual([
        400,
        expect.objectContaining({ field, code: field === 'image' ? 'additionalProperties' : 'duplicate' }),
      ]);
    }
    const fieldTwice = await t.request({
      method: 'POST',
      url: '/v1/identities/alice/verify',
      ...(await multipart({ image: img.alice2 }, [
        ['similarity_threshold', '75'],
        ['similarity_threshold', '99'],
      ])),
    });
    expect([fieldTwice.statusCode, fieldTwice.json().error.details[0]]).toEqual([
      400,
      expect.objectContaining({ field: 'similarity_threshold', code: 'duplicate' }),
    ]);
    const empty = await verify('alice', Buffer.alloc(0));
    expect([empty.statusCode, empty.json().error.details[0].field]).toEqual([400, 'image_base64']);
  });

  it('stores templates encrypted and photos sealed', async () => {
    const rows = await t.service.store.db
      .selectFrom('face_templates')
      .selectAll()
      .where('user_id', '=', 'alice')
      .execute();
    expect(rows).toHaveLength(1);
    const [descriptor] = await t.service.identity.identity.descriptorsOf('alice');
    const plain = Buffer.from(descriptor!.buffer, descriptor!.byteOffset, descriptor!.byteLength);
    const row = rows[0]!;
    expect(row.template.startsWith('v1.')).toBe(true);
    const stored = Buffer.from(row.template.slice(3), 'base64');
    expect(stored.includes(plain.subarray(0, 16))).toBe(false);
    expect(row.template.includes(plain.toString('base64').slice(0, 24))).toBe(false);
    expect(JSON.stringify(row)).not.toContain(String(descriptor![0]));
    const cipher = t.service.identity.identity.cipher();
    expect(() => cipher.openDescriptor(row.template, `bob/${row.id}`)).toThrow();
    const sealed = readFileSync(join(t.dir, 'blobs', `${photoPrefix('alice')}/${row.id}.bin`));
    expect(sealed.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))).toBe(false);
    expect(cipher.open(sealed, `alice/${row.id}`).equals(img.alice1)).toBe(true);
    if (dialect === 'sqlite') expect(existsSync(join(dirname(store.url), 'identity.key'))).toBe(true);
  });

  it('erases templates and photos, keeps the logs, and audits it', async () => {
    const photos = join(t.dir, 'blobs', photoPrefix('alice'));
    expect(existsSync(photos) && readdirSync(photos).length).toBe(1);
    const res = await t.request({ method: 'DELETE', url: '/v1/identities/alice' });
    expect(res.json()).toEqual({ user_id: 'alice', templates_deleted: 1 });
    expect(existsSync(photos)).toBe(false);
    const after = await verify('alice', img.alice2);
    expect([after.statusCode, after.json().error.code]).toEqual([404, 'NOT_ENROLLED']);
    const logs = (await t.request({ method: 'GET', url: '/v1/verifications?user_id=alice' })).json();
    expect(logs.items.length).toBeGreaterThanOrEqual(4);
    const audit = (await t.request({ method: 'GET', url: '/v1/audit?action=identity.erase' })).json();
    expect(audit.items[0]).toMatchObject({
      action: 'identity.erase',
      target: 'alice',
      details: { templates: 1 },
    });
  });

  it('exports face inference times by operation', async () => {
    const text = (await t.request({ method: 'GET', url: '/metrics' })).body;
    for (const operation of ['embed', 'liveness', 'describe']) {
      expect(text).toMatch(
        new RegExp(`centinela_face_inference_seconds_count\\{operation="${operation}"\\} [1-9]`),
      );
    }
  });

  it('needs the identity scopes', async () => {
    const keyFor = async (scope: string) =>
      (await t.service.keys.create({ name: scope, scopes: [scope] })).key;
    const verifyOnly = await keyFor('identity:verify');
    const enrollOnly = await keyFor('identity:enroll');
    const headers = (key: string) => ({ 'x-api-key': key });
    expect((await enroll('dave', img.bob1, headers(verifyOnly))).statusCode).toBe(403);
    expect(
      (await t.request({ method: 'DELETE', url: '/v1/identities/bob', headers: headers(enrollOnly) }))
        .statusCode,
    ).toBe(403);
    const asVerifier = await t.request({
      method: 'GET',
      url: '/v1/verifications',
      headers: headers(enrollOnly),
    });
    expect([asVerifier.statusCode, asVerifier.json().error.code]).toEqual([403, 'FORBIDDEN']);
    expect((await enroll('dave', img.bob1, headers(enrollOnly))).statusCode).toBe(201);
  });
});
