import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';

const run = promisify(execFile);
const sdk = fileURLToPath(new URL('../..', import.meta.url));
const repoModules = join(sdk, '..', '..', 'node_modules');
const pkg = JSON.parse(readFileSync(join(sdk, 'package.json'), 'utf8'));

test('the package stands on its own: no dependency on core, publishable fields set', (t) => {
  for (const field of [
    'name',
    'version',
    'description',
    'license',
    'repository',
    'engines',
    'exports',
    'types',
    'files',
    'publishConfig',
  ]) {
    t.truthy(pkg[field], field);
  }
  t.false(pkg.private ?? false);
  t.is(pkg.sideEffects, false);
  const deps = Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies });
  t.deepEqual(
    deps.filter((name) => name.startsWith('@teeka/') || name === 'teeka'),
    [],
  );
});

test('npm pack: the tarball has the entry points and types, no tests, and a plugin outside the workspace can use it', async (t) => {
  t.timeout(90_000);
  const scratch = mkdtempSync(join(tmpdir(), 'teeka-sdk-pack-'));
  try {
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: sdk, maxBuffer: 8 * 1024 * 1024 });
    const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
    const files = packed.files.map((file) => file.path);
    for (const entry of [
      'package.json',
      'README.md',
      'CHANGELOG.md',
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/testing/index.js',
      'dist/src/testing/index.d.ts',
    ]) {
      t.true(files.includes(entry), `the tarball has ${entry}`);
    }
    t.deepEqual(
      files.filter((file) => !/^(dist\/src\/|README\.md$|CHANGELOG\.md$|package\.json$)/.test(file)),
      [],
      'nothing but dist/src, README, CHANGELOG and package.json',
    );
    t.deepEqual(
      files.filter((file) => /(^|\/)test\/|\.test\.|tsbuildinfo/.test(file)),
      [],
      'no tests',
    );

    // A plugin project elsewhere: the tarball unpacked as its node_modules/@teeka/plugin-sdk (what
    // npm install would do), the SDK's own dependencies and the plugin's dev tools beside it.
    const plugin = join(scratch, 'my-plugin');
    const modules = join(plugin, 'node_modules');
    mkdirSync(join(modules, '@teeka', 'plugin-sdk'), { recursive: true });
    mkdirSync(join(modules, '@types'), { recursive: true });
    await run('tar', ['-xzf', join(scratch, packed.filename), '-C', join(modules, '@teeka', 'plugin-sdk'), '--strip-components=1']);
    for (const name of ['opossum', 'fast-check', 'pure-rand', 'ava', '@types/node', '@types/opossum']) {
      symlinkSync(join(repoModules, name), join(modules, name));
    }
    writeFileSync(join(plugin, 'package.json'), JSON.stringify({ name: 'my-plugin', type: 'module', private: true }));
    writeFileSync(
      join(plugin, 'index.ts'),
      [
        "import { defineIdVerifier, manifestSchema, PLUGIN_API_VERSION, smsParts, type ValidationResult } from '@teeka/plugin-sdk';",
        "import { HangingPeer, idVerifierContract, testContext } from '@teeka/plugin-sdk/testing';",
        "const validate = (input: unknown): ValidationResult => (input === '1234' ? { valid: true, normalized: '1234' } : { valid: false, reason: 'format' });",
        'export default defineIdVerifier({',
        "  create: () => ({ documentTypes: () => [], validate: (_type, input) => validate(input), mask: (_type, n) => 'XX' + n.slice(-2) }),",
        '});',
        'const context = testContext({});',
        "console.log(JSON.stringify({ api: PLUGIN_API_VERSION, parts: smsParts('💉'.repeat(40)).parts, kit: typeof idVerifierContract, peer: typeof HangingPeer.start, schema: manifestSchema.type, tenant: context.tenant.code }));",
      ].join('\n'),
    );
    writeFileSync(
      join(plugin, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'es2023',
          lib: ['es2024'],
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          types: ['node'],
          outDir: 'dist',
        },
        files: ['index.ts'],
      }),
    );
    const tsc = join(repoModules, 'typescript', 'bin', 'tsc');
    await t.notThrowsAsync(run(process.execPath, [tsc, '-p', plugin]), 'the plugin type-checks and builds against the packed SDK');
    const { stdout: printed } = await run(process.execPath, [join(plugin, 'dist', 'index.js')], { cwd: dirname(plugin) });
    t.deepEqual(JSON.parse(printed), { api: 1, parts: 2, kit: 'function', peer: 'function', schema: 'object', tenant: 'xx' });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});

test('the plugin API version is the major version of the package', (t) => {
  // Core refuses a plugin whose manifest apiVersion is not PLUGIN_API_VERSION; a plugin built on
  // @teeka/plugin-sdk N.x declares apiVersion N. A new major of the package must bump both.
  const source = readFileSync(join(sdk, 'src', 'manifest.ts'), 'utf8');
  const declared = Number(/PLUGIN_API_VERSION = (\d+)/.exec(source)?.[1]);
  t.is(declared, Number(pkg.version.split('.')[0]));
});
