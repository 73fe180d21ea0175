import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textField } from '../src/identity/image-input.js';
import { startTestService, type TestService } from './helpers.js';

// How multipart parts are named and counted, checked before any face is read: these tests
// never start the face engine.

const BOUNDARY = 'centinela-fields-boundary';

/** One part: its Content-Disposition parameters (after `form-data; `) and its content. */
type Part = readonly [disposition: string, content: string | Buffer];

/** A multipart/form-data body written by hand, so a part may lack a name. */
function multipartBody(parts: readonly Part[]): { payload: Buffer; headers: Record<string, string> } {
  const chunks = parts.flatMap(([disposition, content]) => [
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; ${disposition}\r\n\r\n`),
    Buffer.from(content),
    Buffer.from('\r\n'),
  ]);
  return {
    payload: Buffer.concat([...chunks, Buffer.from(`--${BOUNDARY}--\r\n`)]),
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
  };
}

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0]);
const file = (name: string, content: Buffer = JPEG): Part => [`name="${name}"; filename="a.jpg"`, content];
const text = (name: string, value: string): Part => [`name="${name}"`, value];

describe('identity multipart parts', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService();
  });
  afterAll(async () => {
    await t.destroy();
  });

  const send = (url: string, parts: readonly Part[]) =>
    t.request({ method: 'POST', url, ...multipartBody(parts) });

  it('names a part without a name, and one named after a built-in property, in the details', async () => {
    const nameless = await send('/v1/identities/u1/verify', [['filename="a.jpg"', JPEG]]);
    expect(nameless.statusCode).toBe(400);
    expect(nameless.json().error.message).toMatch(/^A part has no name/);
    expect(nameless.json().error.details).toEqual([
      { field: '', code: 'required', message: nameless.json().error.message },
    ]);
    for (const part of [text('__proto__', 'x'), file('toString'), text('constructor', 'x')]) {
      const res = await send('/v1/identities/u1/verify', [file('image'), part]);
      expect([res.statusCode, res.json().error.code], part[0]).toEqual([400, 'VALIDATION_FAILED']);
      expect(res.json().error.details, part[0]).toEqual([
        expect.objectContaining({ field: '', code: 'additionalProperties' }),
      ]);
      expect(res.json().error.message).toContain('built-in property');
    }
  });

  it('says a text field sent as a file must be a text part', async () => {
    const res = await send('/v1/identities/u1/verify', [file('image'), file('movement')]);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([
      expect.objectContaining({
        field: 'movement',
        code: 'type',
        message: expect.stringMatching(/^movement must be a text part/),
      }),
    ]);
  });

  it('names the image over the size limit on compare', async () => {
    const res = await send('/v1/faces/compare', [
      file('source', randomBytes(5 * 1024 * 1024 + 10)),
      file('target'),
    ]);
    expect([res.statusCode, res.json().error.code]).toEqual([413, 'IMAGE_TOO_LARGE']);
    expect(res.json().error.details).toEqual({ field: 'source' });
  });

  it('counts movement and transaction_id in characters (code points), as the schema does', async () => {
    const emoji = '😀'.repeat(128); // 256 UTF-16 units
    const res = await send('/v1/identities/nobody/verify', [
      file('image'),
      text('movement', emoji),
      text('transaction_id', emoji),
    ]);
    // Past the fields: the user has no face enrolled.
    expect([res.statusCode, res.json().error.code]).toEqual([404, 'NOT_ENROLLED']);
    const id = res.json().error.details.verification_id;
    const logged = await t.request({ method: 'GET', url: `/v1/verifications/${id}` });
    expect(logged.json()).toMatchObject({ movement: emoji, transaction_id: emoji });
    const json = await t.request({
      method: 'POST',
      url: '/v1/identities/nobody/verify',
      payload: { image_base64: JPEG.toString('base64'), movement: emoji },
    });
    expect(json.json().error.code).toBe('NOT_ENROLLED');
    const input = { images: {}, fields: { movement: `${emoji}😀` } };
    expect(() => textField(input, 'movement')).toThrow(/^The request has invalid fields/);
  });
});
