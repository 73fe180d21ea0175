import { createServer, connect as tcpConnect, type AddressInfo, type Socket } from 'node:net';

/** A TCP proxy to a NATS server that can lose what passes through it, as a failing network or server does. */
export interface NatsProxy {
  /** What clients connect to instead of the server. */
  readonly url: string;
  /**
   * While on, what clients send is dropped and their connections stay up: a half-dead
   * connection, as while the server shuts down. Whole chunks are dropped, never part of one.
   */
  drop(on: boolean): void;
  /** Holds back what the server sends, until {@link cut}. */
  hold(): void;
  /** Breaks every connection: what was held back never arrives, and clients reconnect. */
  cut(): void;
  close(): Promise<void>;
}

/** Starts a {@link NatsProxy} to `target` (a `nats://host:port` URL). */
export async function natsProxy(target: string): Promise<NatsProxy> {
  const { hostname, port } = new URL(target);
  let dropping = false;
  let holding = false;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = tcpConnect(Number(port), hostname);
    const end = () => [client, upstream].forEach((s) => s.destroy());
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', end).on('close', () => {
        sockets.delete(socket);
        end();
      });
    }
    client.on('data', (chunk: Buffer) => void (dropping || upstream.write(chunk)));
    upstream.on('data', (chunk: Buffer) => void (holding || client.write(chunk)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: local } = server.address() as AddressInfo;
  const cut = () => {
    sockets.forEach((s) => s.destroy());
    holding = false;
  };
  return {
    url: `nats://127.0.0.1:${local}`,
    drop: (on) => void (dropping = on),
    hold: () => void (holding = true),
    cut,
    close: async () => {
      cut();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
