import { connect, type Socket } from 'node:net';

/** One POST to send: its body, and what to do with the status code (or the failure). */
export interface PoolRequest {
  readonly body: string;
  readonly done: (statusCode: number | Error) => void;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = 'content-length:';

/**
 * A small HTTP/1.1 client for load generation: POSTs to one path over a fixed number of
 * keep-alive connections, one request in flight on each, the rest waiting in arrival order.
 * It reads only the status code and the content-length of each answer, so it costs the
 * machine it shares with the server far less than a general client (undici took about 70 us
 * of CPU per request on a 2-core bench machine).
 */
export class KeepAlivePool {
  private readonly idle: PoolConnection[] = [];
  private readonly waiting: PoolRequest[] = [];
  private readonly connections: PoolConnection[] = [];
  private readonly head: string;

  constructor(origin: string, path: string, headers: Record<string, string>, connections: number) {
    const url = new URL(origin);
    this.head =
      `POST ${path} HTTP/1.1\r\nhost: ${url.host}\r\n` +
      Object.entries(headers)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('');
    for (let i = 0; i < connections; i++) {
      const connection = new PoolConnection(url.hostname, Number(url.port), {
        free: (free) => this.release(free),
        closed: () => this.failWaitingIfNoneOpen(),
      });
      this.connections.push(connection);
      this.idle.push(connection);
    }
  }

  /** Sends `request` on a free connection, or once one is free. */
  send(request: PoolRequest): void {
    const connection = this.takeIdle();
    if (connection) connection.send(this.encode(request.body), request);
    else if (this.anyOpen()) this.waiting.push(request);
    else request.done(new Error('every connection closed'));
  }

  close(): void {
    for (const connection of this.connections) connection.close();
  }

  private release(connection: PoolConnection): void {
    const next = this.waiting.shift();
    if (next) connection.send(this.encode(next.body), next);
    else this.idle.push(connection);
  }

  private takeIdle(): PoolConnection | undefined {
    let connection = this.idle.pop();
    while (connection && !connection.open) connection = this.idle.pop();
    return connection;
  }

  private anyOpen(): boolean {
    return this.connections.some((connection) => connection.open);
  }

  /** With every connection closed, nothing would ever send the waiting requests. */
  private failWaitingIfNoneOpen(): void {
    if (this.anyOpen()) return;
    for (const request of this.waiting.splice(0)) request.done(new Error('every connection closed'));
  }

  private encode(body: string): string {
    return `${this.head}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  }
}

class PoolConnection {
  private readonly socket: Socket;
  private pending: Buffer = Buffer.alloc(0);
  private inFlight: PoolRequest | undefined;

  constructor(
    host: string,
    port: number,
    private readonly events: {
      readonly free: (connection: PoolConnection) => void;
      readonly closed: () => void;
    },
  ) {
    this.socket = connect({ host, port, noDelay: true });
    this.socket.on('data', (chunk) => this.receive(chunk));
    this.socket.on('error', (error) => this.fail(error));
    this.socket.on('close', () => {
      this.fail(new Error('connection closed'));
      this.events.closed();
    });
  }

  get open(): boolean {
    return !this.socket.destroyed;
  }

  send(message: string, request: PoolRequest): void {
    this.inFlight = request;
    this.socket.write(message);
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    try {
      this.parse(chunk);
    } catch (error) {
      this.socket.destroy(error as Error);
    }
  }

  private parse(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const headerEnd = this.pending.indexOf(HEADER_END);
    if (headerEnd < 0) return;
    const head = this.pending.toString('latin1', 0, headerEnd);
    const total = headerEnd + HEADER_END.length + contentLength(head);
    if (this.pending.length < total) return;
    this.pending = this.pending.subarray(total);
    this.finish(Number(head.slice(9, 12)));
  }

  private fail(error: Error): void {
    this.pending = Buffer.alloc(0);
    this.finish(error);
  }

  private finish(outcome: number | Error): void {
    const request = this.inFlight;
    if (!request) return;
    this.inFlight = undefined;
    request.done(outcome);
    if (this.open) this.events.free(this);
  }
}

/** The content-length of an answer's header block; answers without one are not supported. */
function contentLength(head: string): number {
  const at = head.toLowerCase().indexOf(CONTENT_LENGTH);
  if (at < 0) throw new Error(`answer without content-length: ${head.slice(0, 80)}`);
  return Number.parseInt(head.slice(at + CONTENT_LENGTH.length), 10);
}
