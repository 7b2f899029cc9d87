import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls until `probe` answers something, or fails after a generous time. For what happens in the
 * background (SMS sent by queued jobs): the test waits for the outcome, never for a fixed time.
 */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
