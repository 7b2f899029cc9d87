import { type ChildProcess, spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExecutionContext } from 'ava';
import { projectPaths } from '../../src/kernel/config/paths.js';

/** What a fault test learns of one answer; `status` 0 when the connection failed or timed out. */
export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  ms: number;
  error?: string;
}

export interface RawOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as is: a Buffer for bytes that are not UTF-8, a string for text. */
  body?: Buffer | string;
  /** The answer must come within this; otherwise status 0 and `error: 'timeout'`. */
  timeoutMs?: number;
}

/** One request over real HTTP, bounded in time, with the body exactly as given. */
export function rawRequest(port: number, host: string, path: string, options: RawOptions = {}): Promise<RawResponse> {
  const started = Date.now();
  const headers: Record<string, string> = { Host: host, ...(options.headers ?? {}) };
  if (options.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(options.body));
  return new Promise((resolve) => {
    let settled = false;
    const done = (response: Omit<RawResponse, 'ms'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...response, ms: Date.now() - started });
    };
    const req = httpRequest({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (error) => done({ status: 0, headers: {}, text: '', error: error.message }));
    });
    req.setTimeout(options.timeoutMs ?? 15_000, () => {
      done({ status: 0, headers: {}, text: '', error: 'timeout' });
      req.destroy();
    });
    req.on('error', (error) => done({ status: 0, headers: {}, text: '', error: error.message }));
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** Signs of internals in a body a client sees: stack frames, file paths, driver and SQL errors. */
const INTERNALS = [
  /\bat [\w.<>]+ \(/,
  /node:internal/,
  /\/(?:work|home|tmp|usr)\//,
  /\bdist\/src\b/,
  /\.(?:js|ts):\d+/,
  /\bsyntax error at\b/i,
  /\bviolates (?:unique|foreign key|check) constraint\b/i,
  /\brelation "\w+"/i,
  /\bECONN(?:REFUSED|RESET)\b/,
  /\bTypeError\b|\bReferenceError\b|\bRangeError\b/,
  /\bMikroORM\b|\bknex\b|\bkysely\b/i,
];

export function internalsIn(text: string): RegExp | undefined {
  return INTERNALS.find((pattern) => pattern.test(text));
}

/** A refusal in the platform's shape: problem+json with a stable code and a title, nothing internal. */
export function assertProblem(
  t: ExecutionContext,
  response: RawResponse,
  status: number,
  code?: string,
  what = '',
): Record<string, unknown> {
  t.is(response.status, status, `${what} ${response.status} ${response.error ?? ''} ${response.text.slice(0, 300)}`);
  t.regex(String(response.headers['content-type']), /^application\/problem\+json/, what);
  const body = JSON.parse(response.text || '{}');
  if (code) t.is(body.code, code, what);
  t.truthy(body.title, `${what}: a title`);
  t.is(internalsIn(response.text), undefined, `${what}: nothing internal in ${response.text.slice(0, 300)}`);
  return body;
}

const MAIN = join(projectPaths().root, 'core', 'dist', 'src', 'main.js');

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}

/** `npm start` as a child process on an ephemeral port, with the environment given; waits for "ready". */
export async function spawnServer(env: NodeJS.ProcessEnv): Promise<ServerProcess> {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', TEEKA_DEMO_SESSIONS: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Generous: on a busy 2-core CI machine a start takes seconds, and more with other tests beside it.
  for (let i = 0; i < 2400; i++) {
    const port = output.match(/listening on port (\d+)/)?.[1];
    if (port && /^teeka: ready$/m.test(output)) return { child, port: Number(port), output: () => output, exited };
    if (child.exitCode !== null) break;
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`the server did not come up:\n${output}`);
}

/** A seeded pseudo-random generator (mulberry32): the same seed gives the same run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
