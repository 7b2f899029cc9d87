/**
 * A CPU allowance for app processes, as separate machines or containers would give them: a Linux
 * control group with a CPU quota (cgroup v2 `cpu.max`, or v1 `cpu.cfs_quota_us`), which the
 * process joins before it starts, so node:cluster workers it forks are in it too. On 2 cores the
 * app, PostgreSQL and the load generator share the machine, so a second app process only adds
 * contention; with each app process held to a fixed share, 1 vs 2 processes shows whether the
 * platform scales out (no shared in-process state, nothing that serialises the instances) the way
 * it would on machines of their own. Needs a writable cgroup file system (root in a container that
 * mounts it read-write); without one, `cpuCap` answers why not and the benchmark says so.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PERIOD_US = 100_000;

export interface CpuCap {
  /** Where the group is (for the report). */
  readonly path: string;
  /** The command to spawn instead: a shell that joins the group, then execs the command. */
  wrap(command: string, args: string[]): { command: string; args: string[] };
  /** Removes the group (its processes must have exited). */
  remove(): void;
}

function groupDirectory(name: string): { path: string; quota: (cores: number) => void } | string {
  // cgroup v2: the unified hierarchy at /sys/fs/cgroup with the cpu controller on offer.
  const v2 = '/sys/fs/cgroup';
  if (existsSync(join(v2, 'cgroup.controllers')) && readFileSync(join(v2, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('cpu')) {
    const path = join(v2, name);
    return {
      path,
      quota: (cores) => {
        // The parent must hand the cpu controller down to its children first.
        writeFileSync(join(v2, 'cgroup.subtree_control'), '+cpu');
        mkdirSync(path, { recursive: true });
        writeFileSync(join(path, 'cpu.max'), `${Math.round(cores * PERIOD_US)} ${PERIOD_US}`);
      },
    };
  }
  // cgroup v1: the cpu controller's own hierarchy.
  const v1 = '/sys/fs/cgroup/cpu';
  if (existsSync(join(v1, 'cpu.cfs_quota_us'))) {
    const path = join(v1, name);
    return {
      path,
      quota: (cores) => {
        mkdirSync(path, { recursive: true });
        writeFileSync(join(path, 'cpu.cfs_period_us'), String(PERIOD_US));
        writeFileSync(join(path, 'cpu.cfs_quota_us'), String(Math.round(cores * PERIOD_US)));
      },
    };
  }
  return 'no cgroup cpu controller under /sys/fs/cgroup';
}

/** A group named `name` allowing `cores` CPUs (e.g. 0.5, or 1 for two processes at 0.5), or why there is none. */
export function cpuCap(name: string, cores: number): CpuCap | string {
  const group = groupDirectory(name);
  if (typeof group === 'string') return group;
  try {
    group.quota(cores);
  } catch (error) {
    return `cannot set a CPU quota in ${group.path}: ${(error as Error).message}`;
  }
  return {
    path: group.path,
    wrap: (command, args) => ({
      command: '/bin/sh',
      // $0 is the command, "$@" its arguments: nothing is interpolated into the script.
      args: ['-c', `echo $$ > '${join(group.path, 'cgroup.procs')}' && exec "$0" "$@"`, command, ...args],
    }),
    remove: () => {
      try {
        rmdirSync(group.path);
      } catch {
        // Still busy or already gone: an empty group costs nothing, and the next run reuses the name.
      }
    },
  };
}

/**
 * One group per app process count n of a comparison, each allowing n × `coresEach` cores: all of
 * them, or none (the ones made are removed) and why not.
 */
export function cpuCaps(counts: readonly number[], coresEach: number): Map<number, CpuCap> | string {
  const caps = new Map<number, CpuCap>();
  for (const n of counts) {
    const cap = cpuCap(`teeka-bench-${process.pid}-${n}`, n * coresEach);
    if (typeof cap === 'string') {
      for (const made of caps.values()) made.remove();
      return cap;
    }
    caps.set(n, cap);
  }
  return caps;
}
