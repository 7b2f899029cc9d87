import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { projectPaths } from '../../src/kernel/config/paths.js';
import { projectCopy } from '../support/project-copy.js';
import { teeka } from './cli.js';

function run(cwd: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd, maxBuffer: 16 * 1024 * 1024, timeout: 400_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, output: stdout + stderr });
    });
  });
}

test('plugin new: the generated packages of both kinds build and pass their contract tests', async (t) => {
  t.timeout(600_000);
  const source = projectPaths().root;
  const { root } = projectCopy();
  // The copy builds like the checkout: the root tsconfig, core (for the SDK's project) and node_modules.
  copyFileSync(join(source, 'tsconfig.json'), join(root, 'tsconfig.json'));
  symlinkSync(join(source, 'core'), join(root, 'core'));
  symlinkSync(join(source, 'node_modules'), join(root, 'node_modules'));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'teeka-copy', private: true, type: 'module' }));

  const verifier = await teeka(root, ['plugin', 'new', '--kind', 'id-verifier', '--countries', 'KE', 'ke-nid']);
  t.is(verifier.code, 0, verifier.stdout + verifier.stderr);
  const gateway = await teeka(root, ['plugin', 'new', '--kind', 'sms-gateway', 'ke-sms']);
  t.is(gateway.code, 0, gateway.stdout + gateway.stderr);
  t.is((await teeka(root, ['plugin', 'new', '--kind', 'sms-gateway', 'ke-sms'])).code, 2, 'an existing folder is kept');
  t.is((await teeka(root, ['plugin', 'new', '--kind', 'printer', 'x'])).code, 2);
  for (const name of ['ke-nid', 'ke-sms']) {
    for (const file of ['package.json', 'tsconfig.json', 'README.md', 'src/index.ts', `test/${name}.test.ts`]) {
      t.true(existsSync(join(root, 'plugins', name, file)), `${name}/${file}`);
    }
  }
  const manifest = JSON.parse(readFileSync(join(root, 'plugins', 'ke-nid', 'package.json'), 'utf8')).teeka;
  t.like(manifest, { id: 'ke-nid', kind: 'id-verifier', countries: ['KE'], apiVersion: 1 });
  t.regex(readFileSync(join(root, 'tsconfig.json'), 'utf8'), /\{ "path": "plugins\/ke-nid" \},\n\s*\{ "path": "plugins\/ke-sms" \},/);

  const tsc = join(source, 'node_modules', 'typescript', 'bin', 'tsc');
  for (const name of ['ke-nid', 'ke-sms']) {
    const built = await run(root, [tsc, '-p', join('plugins', name)]);
    t.is(built.code, 0, `${name} builds:\n${built.output}`);
  }
  const ava = join(source, 'node_modules', 'ava', 'entrypoints', 'cli.js');
  const tested = await run(root, [ava, 'plugins/ke-nid/dist/test/ke-nid.test.js', 'plugins/ke-sms/dist/test/ke-sms.test.js']);
  t.is(tested.code, 0, tested.output);
  t.regex(tested.output, /contract: accepts valid samples/);
  t.regex(tested.output, /contract: accepts a hindi message and it arrives intact/);
  t.regex(tested.output, /contract: the manifest passes/);
});
