/**
 * The load generator, in a worker thread (its own event loop; the server runs in another process).
 * `clients` loops each keep one unit of work in flight over keep-alive connections until the time
 * is up. Units:
 * - `requests`: one request picked at random from a list (searches), with a model of the server's
 *   cache: a request is counted a hit when the same search was asked less than `cacheSeconds` ago;
 * - `sequences`: the next list of requests, run one after the other (e.g. verify, then record a dose);
 * - `otp`: sign-in of a new number: generate, read the code from the outbox's database row, confirm.
 */
import { Agent, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';

export interface Call {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** The cache key this call would use on the server (`requests` only). */
  key?: string;
}

export interface LoadInput {
  port: number;
  host: string;
  clients: number;
  seconds: number;
  unit: 'requests' | 'sequences' | 'otp';
  calls?: Call[];
  sequences?: Call[][];
  cacheSeconds?: number;
  /** `otp`: the tenant database (to read codes from the dev outbox) and the first number to use. */
  databaseUrl?: string;
  firstNumber?: number;
  /** Keep the body of the first answer to each call index (`requests`), to replay it from a bare server. */
  keepBodies?: boolean;
}

export interface LoadResult {
  elapsedMs: number;
  /** Units answered in full with 2xx. */
  ok: number;
  /** Latency in ms of every successful unit. */
  latencies: number[];
  statuses: Record<string, number>;
  hits: number;
  misses: number;
  bytes: number;
  exhausted: boolean;
  bodies?: Record<number, { type: string; body: string }>;
}

const REQUEST_TIMEOUT_MS = 30_000;

interface Answer {
  status: number;
  text: string;
  type: string;
}

function send(agent: Agent, input: LoadInput, call: Call): Promise<Answer> {
  const body = call.body === undefined ? undefined : JSON.stringify(call.body);
  const headers: Record<string, string | number> = { Host: input.host, ...(call.headers ?? {}) };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = Buffer.byteLength(body);
  }
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: input.port, path: call.path, method: call.method ?? 'GET', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          text: Buffer.concat(chunks).toString('utf8'),
          type: String(res.headers['content-type'] ?? ''),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    // A server that stops answering fails the unit instead of hanging the benchmark.
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
    req.end(body);
  });
}

function code(text: string): string {
  try {
    const json = JSON.parse(text);
    return String(json.code ?? json.errorCode);
  } catch {
    return 'not-json';
  }
}

async function run(input: LoadInput): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: input.clients });
  const result: LoadResult = { elapsedMs: 0, ok: 0, latencies: [], statuses: {}, hits: 0, misses: 0, bytes: 0, exhausted: false };
  if (input.keepBodies) result.bodies = {};
  const computedAt = new Map<string, number>();
  const ttl = (input.cacheSeconds ?? 0) * 1000;
  const pool = input.unit === 'otp' ? new pg.Pool({ connectionString: input.databaseUrl, max: Math.min(input.clients, 8) }) : undefined;
  let nextSequence = 0;
  let nextNumber = input.firstNumber ?? 0;
  const started = performance.now();
  const deadline = started + input.seconds * 1000;
  let last = started;
  const count = (answer: Answer) => {
    const key = answer.status < 300 ? String(answer.status) : `${answer.status} ${code(answer.text)}`;
    result.statuses[key] = (result.statuses[key] ?? 0) + 1;
    result.bytes += answer.text.length;
    return answer.status < 300;
  };

  const unit = async (): Promise<boolean | undefined> => {
    if (input.unit === 'requests') {
      const index = Math.floor(Math.random() * input.calls!.length);
      const call = input.calls![index];
      if (call.key !== undefined && ttl > 0) {
        const now = performance.now();
        const at = computedAt.get(call.key);
        if (at !== undefined && now - at < ttl) result.hits++;
        else {
          result.misses++;
          computedAt.set(call.key, now);
        }
      }
      const answer = await send(agent, input, call);
      if (result.bodies && !(index in result.bodies) && answer.status === 200)
        result.bodies[index] = { type: answer.type, body: answer.text };
      return count(answer);
    }
    if (input.unit === 'sequences') {
      const sequence = input.sequences![nextSequence++];
      if (!sequence) return undefined;
      for (const call of sequence) if (!count(await send(agent, input, call))) return false;
      return true;
    }
    const number = nextNumber++;
    const mobile = String(number);
    const generated = await send(agent, input, { method: 'POST', path: '/api/v1/auth/otp', body: { mobile } });
    if (!count(generated)) return false;
    const { txnId } = JSON.parse(generated.text) as { txnId: string };
    // Prepared (named): parsed and planned once per connection, so the read the benchmark adds
    // costs PostgreSQL as little as it can (it is counted in postgresCpuMsPerSignIn).
    const { rows } = await pool!.query({
      name: 'bench-outbox-code',
      text: `select data->>'text' as text from plugin_record where collection = 'outbox' and (data->>'reference') = $1`,
      values: [txnId],
    });
    const otp = /\b(\d{6})\b/.exec(rows[0]?.text ?? '')?.[1];
    if (!otp) {
      result.statuses['no code in the outbox'] = (result.statuses['no code in the outbox'] ?? 0) + 1;
      return false;
    }
    return count(await send(agent, input, { method: 'POST', path: '/api/v1/auth/otp/confirm', body: { txnId, otp } }));
  };

  const client = async () => {
    while (performance.now() < deadline) {
      const sent = performance.now();
      let ok: boolean | undefined;
      try {
        ok = await unit();
      } catch (error) {
        const key = `error ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
        result.statuses[key] = (result.statuses[key] ?? 0) + 1;
        ok = false;
      }
      if (ok === undefined) {
        result.exhausted = true;
        return;
      }
      last = performance.now();
      if (ok) {
        result.ok++;
        result.latencies.push(last - sent);
      }
    }
  };
  await Promise.all(Array.from({ length: input.clients }, client));
  agent.destroy();
  await pool?.end();
  result.elapsedMs = last - started;
  return result;
}

if (parentPort) {
  const port = parentPort;
  run(workerData as LoadInput).then(
    (result) => port.postMessage({ result }),
    (error: Error) => port.postMessage({ error: error.stack ?? String(error) }),
  );
}
