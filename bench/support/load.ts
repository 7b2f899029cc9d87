import { Worker } from 'node:worker_threads';
import type { LoadInput, LoadResult } from './load-worker.js';

export type { Call, LoadInput, LoadResult } from './load-worker.js';

/** Runs the load generator in a worker thread and answers what it measured. */
export function load(input: LoadInput): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./load-worker.js', import.meta.url), { workerData: input });
    worker.once('message', (message: { result?: LoadResult; error?: string }) => {
      if (message.result) resolve(message.result);
      else reject(new Error(message.error));
    });
    worker.once('error', reject);
    // Every request times out after 30 s: past that, the worker itself is stuck.
    const limit = setTimeout(
      () => {
        worker.terminate();
        reject(new Error('the load generator did not finish in time'));
      },
      (input.seconds + 60) * 1000,
    );
    worker.once('exit', () => clearTimeout(limit));
  });
}

/** The figures of one load run: units/s over the elapsed time, latency percentiles in ms. */
export function rate(result: LoadResult): number {
  return result.elapsedMs > 0 ? result.ok / (result.elapsedMs / 1000) : 0;
}
