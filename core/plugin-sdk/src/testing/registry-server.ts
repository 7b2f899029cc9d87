import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the fake registry does with one request. */
export interface Reply {
  /** HTTP status (default 200). */
  status?: number;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  /** Extra response headers, e.g. `Retry-After`. */
  headers?: Record<string, string>;
  /** Answer only after this long: beyond the client's timeout, a hung registry. */
  delayMs?: number;
}

/**
 * A registry speaking Teeka's registry protocol on 127.0.0.1 (a random port), for tests: it
 * records every request that reaches it and answers what `reply` says.
 */
export class FakeRegistry {
  /** Every request that reached it, in order. */
  readonly requests: { headers: IncomingHttpHeaders; body: unknown }[] = [];
  /** Decides the answer to each request from its JSON body (default: `verified`). */
  reply: (body: Record<string, unknown>) => Reply = () => ({ body: { result: 'verified' } });
  /** The endpoint to configure, `http://127.0.0.1:<port>/v1/verify`. */
  url = '';
  private readonly server: Server;
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor() {
    this.server = createServer((request, response) => {
      const record: { headers: IncomingHttpHeaders; body: unknown } = { headers: request.headers, body: undefined };
      this.requests.push(record);
      let text = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => {
        text += chunk;
      });
      request.on('end', () => {
        try {
          record.body = JSON.parse(text);
        } catch {
          record.body = text;
        }
        const reply = this.reply((record.body ?? {}) as Record<string, unknown>);
        const send = () => {
          if (response.destroyed) return;
          response.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
          response.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? { result: 'verified' }));
        };
        if (!reply.delayMs) return send();
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          send();
        }, reply.delayMs);
        this.timers.add(timer);
      });
    });
  }

  /** Starts it on a random port of 127.0.0.1. */
  static async start(): Promise<FakeRegistry> {
    const registry = new FakeRegistry();
    await new Promise<void>((resolve) => registry.server.listen(0, '127.0.0.1', resolve));
    registry.url = `http://127.0.0.1:${(registry.server.address() as AddressInfo).port}/v1/verify`;
    return registry;
  }

  /** How many requests reached it. */
  get count(): number {
    return this.requests.length;
  }

  /** Stops listening and drops every connection: from now on the registry refuses connections. */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
