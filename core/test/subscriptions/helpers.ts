import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bearer } from '../support/citizen.js';
import type { TestPlatform } from '../support/platform.js';
import { dayFromToday } from '../support/scheduling.js';

export const HOST = 'in.localhost';
export const MUMBAI_CENTRE = 1001; // KEM Hospital, district 395
export const PUNE_CENTRE = 1101; // Sassoon, district 363
export const SLOTS = ['09:00AM-11:00AM', '11:00AM-01:00PM'];

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A webhook receiver on an ephemeral port: records every POST, answers `status()`. */
export async function receiver(status: () => number = () => 200): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      res.statusCode = status();
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The receiver's check, written independently of the platform's code: Stripe-style v1 HMAC. */
export function verifySignature(secret: string, header: string | string[] | undefined, body: string, toleranceSeconds = 300): boolean {
  if (typeof header !== 'string') return false;
  const parts = Object.fromEntries(header.split(',').map((part) => part.split('=') as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > toleranceSeconds || !parts.v1) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function adminHeaders(app: TestPlatform, password: string): Promise<Record<string, string>> {
  const signIn = await app.request(HOST, '/api/v1/staff/sign-in', { method: 'POST', body: { username: 'admin', password } });
  if (signIn.status !== 200) throw new Error(`sign-in: ${signIn.status} ${signIn.text}`);
  return bearer(signIn.json().token);
}

export async function createSession(
  app: TestPlatform,
  admin: Record<string, string>,
  facilityId: number,
  overrides: Record<string, unknown> = {},
): Promise<{ id: string; date: string }> {
  const response = await app.request(HOST, '/api/v1/staff/sessions', {
    method: 'POST',
    headers: admin,
    body: {
      facilityId,
      date: dayFromToday(app, 'in', 25),
      vaccine: 'covishield',
      minAge: 18,
      slots: SLOTS,
      capacities: [{ dose: 1, online: 2 }],
      ...overrides,
    },
  });
  if (response.status !== 201) throw new Error(`session: ${response.status} ${response.text}`);
  return response.json();
}

export async function subscribe(
  app: TestPlatform,
  url: string,
  filters: Record<string, unknown>,
): Promise<{ id: string; secret: string; managementToken: string; state: string }> {
  const response = await app.request(HOST, '/api/v1/subscriptions', { method: 'POST', body: { url, filters } });
  if (response.status !== 201) throw new Error(`subscribe: ${response.status} ${response.text}`);
  return response.json();
}

export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/** A plain HTTP client reading an SSE stream: parsed events, comments and the retry hint. */
export async function sseClient(
  app: TestPlatform,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; events: SseEvent[]; comments: string[]; retry?: number; close(): void }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: app.platform.port, path, headers: { Host: HOST, Accept: 'text/event-stream', ...headers } },
      (res) => {
        const client = {
          status: res.statusCode ?? 0,
          headers: res.headers,
          events: [] as SseEvent[],
          comments: [] as string[],
          retry: undefined as number | undefined,
          close: () => req.destroy(),
        };
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let end = buffer.indexOf('\n\n');
          while (end >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event: SseEvent = { data: '' };
            let hasData = false;
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) client.comments.push(line.slice(1).trim());
              else if (line.startsWith('retry: ')) client.retry = Number(line.slice(7));
              else if (line.startsWith('id: ')) event.id = line.slice(4);
              else if (line.startsWith('event: ')) event.event = line.slice(7);
              else if (line.startsWith('data: ')) {
                event.data += (hasData ? '\n' : '') + line.slice(6);
                hasData = true;
              }
            }
            if (hasData) client.events.push(event);
            end = buffer.indexOf('\n\n');
          }
        });
        res.on('error', () => undefined);
        resolve(client);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
