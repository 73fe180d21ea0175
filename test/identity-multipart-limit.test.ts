import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestService, type TestService } from './helpers.js';

const BOUNDARY = 'centinela-test-boundary';
const MB = 1024 * 1024;
/** What is offered: far over the 7 MiB route limit. */
const OFFERED = 256 * MB;

/** What the client may send before it sees the answer: the limit, socket buffers, the linger. */
const READ_BOUND = 64 * MB;

interface Upload {
  readonly status: number;
  /** The answer's body. */
  readonly body: string;
  /** Body bytes the client wrote before the server answered or closed the connection. */
  readonly sent: number;
}

/** Writes `bytes` in 64 KiB chunks, waiting for the socket to drain, until done or `stopped()`. */
async function writeZeros(socket: Socket, bytes: number, stopped: () => boolean): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024);
  let sent = 0;
  while (sent < bytes && !stopped()) {
    const piece = chunk.subarray(0, Math.min(chunk.length, bytes - sent));
    sent += piece.length;
    if (!socket.write(piece)) {
      await new Promise<void>((resolve) => {
        socket.once('drain', resolve);
        socket.once('close', resolve);
      });
    }
  }
  return sent;
}

/**
 * POSTs a multipart body whose one part (`partHead` opens it) holds `OFFERED` zero bytes,
 * through a real socket, and stops writing as soon as the server answers.
 */
function upload(port: number, path: string, partHead: string): Promise<Upload> {
  const open = `--${BOUNDARY}\r\n${partHead}\r\n\r\n`;
  const close = `\r\n--${BOUNDARY}--\r\n`;
  const length = Buffer.byteLength(open) + OFFERED + Buffer.byteLength(close);
  const socket = connect(port, '127.0.0.1');
  let answer = '';
  let ended = false;
  socket.on('data', (data: Buffer) => (answer += data.toString('latin1')));
  socket.on('error', () => undefined); // EPIPE / ECONNRESET once the server closes
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('close', () => (ended = true));
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nhost: localhost\r\nx-api-key: ${ADMIN_KEY}\r\n` +
          `content-type: multipart/form-data; boundary=${BOUNDARY}\r\ncontent-length: ${length}\r\n\r\n${open}`,
      );
      writeZeros(socket, OFFERED, () => ended || answer.includes('\r\n\r\n'))
        .then(async (sent) => {
          if (sent === OFFERED) socket.write(close);
          await closed;
          const [head = '', body = ''] = answer.split('\r\n\r\n');
          resolve({ status: Number(head.split(' ')[1]), body, sent });
        })
        .catch(reject);
      setTimeout(() => socket.destroy(), 60_000).unref();
    });
  });
}

describe('identity multipart uploads over the route body limit', () => {
  let t: TestService;
  let port: number;
  beforeAll(async () => {
    t = await startTestService();
    await t.service.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.service.app.server.address();
    port = typeof address === 'object' && address ? address.port : 0;
  });
  afterAll(async () => {
    await t.destroy();
  });

  const cases = [
    [
      'a file part',
      '/v1/identities/u1/verify',
      'content-disposition: form-data; name="image"; filename="a.jpg"',
    ],
    ['a text part', '/v1/identities/u1/verify', 'content-disposition: form-data; name="movement"'],
    [
      'a file part on compare',
      '/v1/faces/compare',
      'content-disposition: form-data; name="source"; filename="a.jpg"',
    ],
  ] as const;

  it.each(cases)(
    'refuses %s as IMAGE_TOO_LARGE while it streams, then stops reading',
    async (_, path, head) => {
      const result = await upload(port, path, head);
      expect(result.status, JSON.stringify(result)).toBe(413);
      expect(result.body).toContain('"code":"IMAGE_TOO_LARGE"');
      expect(result.sent).toBeLessThan(READ_BOUND);
    },
    60_000,
  );
});
