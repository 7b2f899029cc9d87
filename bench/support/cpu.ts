/**
 * CPU time used by processes, from /proc (Linux; 0 elsewhere). On a machine shared with other
 * work, CPU per answer varies far less than answers per second, so it says what an answer costs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type pg from 'pg';

/** The fields of /proc/<pid>/stat after "pid (comm) ": state is [0], ppid [1], utime [11], stime [12], cutime [13], cstime [14]. */
function stat(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  } catch {
    return undefined;
  }
}

/** Clock ticks (1/100 s on Linux) to ms. */
const TICK_MS = 10;

/** CPU ms (user + system) the process has used so far. */
export function cpuMs(pid: number): number {
  const fields = stat(pid);
  return fields ? (Number(fields[11]) + Number(fields[12])) * TICK_MS : 0;
}

/**
 * CPU ms of a process and every process below it, the living ones and those that have ended (the
 * kernel adds a waited-for child's time to its parent's cutime and cstime): the app processes of a
 * node:cluster primary, or a PostgreSQL postmaster and its backends.
 */
export function treeCpuMs(root: number): number {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = stat(Number(entry));
    if (fields) parents.set(Number(entry), Number(fields[1]));
  }
  const within = (pid: number): boolean => {
    for (let at: number | undefined = pid, depth = 0; at !== undefined && at > 1 && depth < 20; depth++) {
      if (at === root) return true;
      at = parents.get(at);
    }
    return false;
  };
  const own = stat(root);
  let total = own ? (Number(own[13]) + Number(own[14])) * TICK_MS : 0;
  for (const pid of parents.keys()) if (within(pid)) total += cpuMs(pid);
  return total;
}

/** The postmaster of the PostgreSQL server `client` is connected to (its backend's parent). */
export async function postmasterOf(client: pg.Client): Promise<number> {
  const backend = Number((await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0].pid);
  const fields = stat(backend);
  if (!fields) throw new Error(`no process ${backend} (is PostgreSQL on this machine?)`);
  return Number(fields[1]);
}
