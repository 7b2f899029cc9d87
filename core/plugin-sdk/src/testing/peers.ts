import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';

/** Where a fake peer listens (or, for {@link refusingPeer}, where nothing listens). */
export interface PeerAddress {
  /** Always `127.0.0.1`. */
  /** Always `127.0.0.1`. */
  host: string;
  /** The TCP port. */
  port: number;
  /** `http://127.0.0.1:<port>/`, for plugins configured with a URL. */
  url: string;
}

/**
 * A TCP server on 127.0.0.1 (a random port) that accepts every connection, reads whatever it is
 * sent and never answers: a registry, an HTTP API or an SMSC that has hung. Speaks no protocol, so
 * it stands in for any of them. For kits and plugin tests that check a plugin gives up in time.
 *
 * @example
 * ```ts
 * const peer = await HangingPeer.start();
 * const gateway = await plugin.create(testContext({ url: peer.url, timeoutMs: 200 }));
 * // gateway.send(...) must settle, rejected and retryable, soon after 200 ms
 * await peer.stop();
 * ```
 */
export class HangingPeer implements PeerAddress {
  /** Always `127.0.0.1`. */
  readonly host = '127.0.0.1';
  /** The port it listens on. */
  port = 0;
  /** `http://127.0.0.1:<port>/`. */
  url = '';
  /** Connections accepted so far (a plugin that never even connected was not tested). */
  connections = 0;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  private constructor() {
    this.server = createServer((socket) => {
      this.connections += 1;
      this.sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => this.sockets.delete(socket));
      socket.resume();
    });
  }

  /** Starts listening on a random port of 127.0.0.1. */
  static async start(): Promise<HangingPeer> {
    const peer = new HangingPeer();
    await new Promise<void>((resolve) => peer.server.listen(0, '127.0.0.1', resolve));
    peer.port = (peer.server.address() as AddressInfo).port;
    peer.url = `http://127.0.0.1:${peer.port}/`;
    return peer;
  }

  /** Drops every connection and stops listening. */
  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * An address on 127.0.0.1 where nothing listens, so connecting is refused at once: a peer that is
 * down. (The port was free a moment ago; another process could take it, which in a test is unlikely.)
 */
export async function refusingPeer(): Promise<PeerAddress> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return { host: '127.0.0.1', port, url: `http://127.0.0.1:${port}/` };
}
