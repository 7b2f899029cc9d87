/**
 * The baseline: a bare `node:http` server in a process of its own, answering each path with the
 * bytes the platform gave for it (a JSON file of `{ path: { type, body } }`), and 404 otherwise.
 * It prints `listening <port>` when ready. `node bench/dist/support/bare-server.js <file>`.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const answers = new Map<string, { type: string; body: Buffer }>(
  Object.entries(JSON.parse(readFileSync(process.argv[2], 'utf8')) as Record<string, { type: string; body: string }>).map(
    ([path, { type, body }]) => [path, { type, body: Buffer.from(body) }],
  ),
);

const server = createServer((req, res) => {
  const answer = answers.get(req.url ?? '');
  if (!answer) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'Content-Type': answer.type, 'Content-Length': answer.body.length }).end(answer.body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
