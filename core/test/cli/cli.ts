import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { projectPaths } from '../../src/kernel/config/paths.js';

/** The built CLI, as `npx teeka` runs it. */
export const CLI = join(projectPaths().root, 'core', 'dist', 'src', 'cli', 'main.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI in a child process with the repository's Node, against the project at `root`. */
export function teeka(root: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: root, env: { ...process.env, TEEKA_ROOT: root, LOG_LEVEL: 'warn', ...env }, maxBuffer: 16 * 1024 * 1024, timeout: 300_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
