/**
 * TCP helpers for tests on 127.0.0.1, without the two classic flakes:
 *  - an `error` event without a listener crashes the test process (a peer that resets the
 *    connection gives `read ECONNRESET` on the server's socket): every server and socket here
 *    has an error handler, and close() destroys the open connections instead of waiting for them;
 *  - "pick a free port, close it, use it later": another process may bind it in between.
 *    closedPort() keeps the port taken (by a connected client socket bound to it) while nothing
 *    listens on it, so connecting to it is refused for as long as the test needs.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TestServer {
  port: number;
  server: Server;
  /** Errors seen on the server or its connections (ECONNRESET from a peer that hangs up is normal). */
  errors: Error[];
  /** Destroys every open connection and stops listening; resolves when the port is released. */
  close(): Promise<void>;
}

/** A TCP server on 127.0.0.1 (random port) calling onConnection for each connection. */
export async function listen(onConnection: (s: Socket) => void = () => {}): Promise<TestServer> {
  const errors: Error[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', (e) => errors.push(e));
    s.on('close', () => sockets.delete(s));
    onConnection(s);
  });
  server.on('error', (e) => errors.push(e));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as { port: number }).port;
  let closed: Promise<void> | undefined;
  return {
    port,
    server,
    errors,
    close: () => (closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    })),
  };
}

export interface ClosedPort {
  /** A port on 127.0.0.1 that nothing listens on and nobody else can bind until release(). */
  port: number;
  release(): Promise<void>;
}

/**
 * A port that refuses connections, reserved for the test: the local end of a connection from a
 * client socket (no SO_REUSEADDR, so no other socket may bind the port) to a private server.
 */
export async function closedPort(): Promise<ClosedPort> {
  const holder = await listen();
  const client: Socket = connect({ host: '127.0.0.1', port: holder.port });
  client.on('error', () => { /* released below */ });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  const port = client.localPort!;
  return {
    port,
    release: async () => {
      await new Promise<void>((resolve) => {
        if (client.destroyed) return resolve();
        client.once('close', () => resolve());
        client.destroy();
      });
      await holder.close();
    },
  };
}
