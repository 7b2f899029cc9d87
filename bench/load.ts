/**
 * The HTTP side of the booking benchmark, in a worker thread so that the load generator never
 * shares an event loop with the platform it measures. `clients` loops each keep one booking in
 * flight over a keep-alive connection, every booking by a citizen of its own, until the time is up.
 */
import { Agent, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

export interface LoadInput {
  port: number;
  host: string;
  clients: number;
  seconds: number;
  sessionIds: string[];
  slot: string;
  citizens: { token: string; referenceId: string }[];
}

export interface LoadResult {
  elapsedMs: number;
  /** Latency in ms of every booking answered 201, in completion order. */
  latencies: number[];
  statuses: Record<string, number>;
  exhausted: boolean;
}

function post(agent: Agent, input: LoadInput, path: string, token: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: input.port,
        path,
        method: 'POST',
        agent,
        headers: {
          Host: input.host,
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function run(input: LoadInput): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: input.clients });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let next = 0;
  let exhausted = false;
  const started = performance.now();
  const deadline = started + input.seconds * 1000;
  let last = started;
  const client = async () => {
    while (performance.now() < deadline) {
      const citizen = input.citizens[next++];
      if (!citizen) {
        exhausted = true;
        return;
      }
      const sessionId = input.sessionIds[Math.floor(Math.random() * input.sessionIds.length)];
      const body = JSON.stringify({ sessionId, slot: input.slot, beneficiaries: [citizen.referenceId] });
      const sent = performance.now();
      const { status, text } = await post(agent, input, '/api/v1/appointments', citizen.token, body);
      last = performance.now();
      const key = status === 201 ? '201' : `${status} ${safeCode(text)}`;
      statuses[key] = (statuses[key] ?? 0) + 1;
      if (status === 201) latencies.push(last - sent);
    }
  };
  await Promise.all(Array.from({ length: input.clients }, client));
  agent.destroy();
  return { elapsedMs: last - started, latencies, statuses, exhausted };
}

function safeCode(text: string): string {
  try {
    return String(JSON.parse(text).code);
  } catch {
    return 'not-json';
  }
}

if (parentPort) {
  const port = parentPort;
  run(workerData as LoadInput).then(
    (result) => port.postMessage({ result }),
    (error: Error) => port.postMessage({ error: error.stack ?? String(error) }),
  );
}
