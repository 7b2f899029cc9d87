/**
 * Where the server's CPU went: a V8 CPU profile (taken through the server's inspector) summed by self
 * time per package (`node_modules/<name>`) or platform area (`core/dist/src/<area>`), top first.
 */

import { writeFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}

function bucket(url: string, name: string): string {
  if (name === '(idle)' || name === '(program)' || name === '(garbage collector)') return name;
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (module) return module[1];
  const area = /core\/dist\/src\/([^/]+)/.exec(url);
  if (area) return `teeka ${area[1]}`;
  const plugin = /plugins\/([^/]+)/.exec(url);
  if (plugin) return `plugin ${plugin[1]}`;
  if (url.startsWith('node:')) return `node:${url.replace(/^node:(internal\/)?/, '').split('/')[0]}`;
  if (url === '') return `native ${name || '(anonymous)'}`;
  return 'other';
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The top `count` buckets of a profile, as "name 12.3 %" (of the time not idle), and the share idle. */
export function summariseProfile(profile: CpuProfile, count = 10): string[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  profile.samples.forEach((id, index) => {
    const node = byId.get(id);
    if (!node) return;
    const name = bucket(node.callFrame.url, node.callFrame.functionName);
    const delta = profile.timeDeltas[index] ?? 0;
    if (name === '(idle)') {
      idle += delta;
      return;
    }
    busy += delta;
    totals.set(name, (totals.get(name) ?? 0) + delta);
  });
  return [
    `idle ${((idle / Math.max(1, idle + busy)) * 100).toFixed(0)} % of the window`,
    ...[...totals.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, time]) => `${name} ${((time / busy) * 100).toFixed(1)} %`),
  ];
}

/**
 * A CPU profiler attached to a process's inspector (`--inspect`), over its WebSocket. With `file`, the
 * whole profile is written there too (a `.cpuprofile`: Chrome DevTools, or self time by function).
 */
export async function attachProfiler(
  url: string,
  file?: string,
): Promise<{ start(): Promise<void>; stop(): Promise<string[]>; close(): void }> {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve, { once: true });
    socket.addEventListener('error', reject, { once: true });
  });
  let next = 1;
  const pending = new Map<number, (result: unknown) => void>();
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  });
  const post = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve) => {
      const id = next++;
      pending.set(id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 1000 });
  return {
    start: async () => {
      await post('Profiler.start');
    },
    stop: async () => {
      const { profile } = (await post('Profiler.stop')) as { profile: CpuProfile };
      if (file) writeFileSync(file, JSON.stringify(profile));
      return summariseProfile(profile);
    },
    close: () => socket.close(),
  };
}
