import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import test from 'ava';
import { parse, parseAllDocuments } from 'yaml';
import { projectPaths } from '../../src/kernel/config/paths.js';
import { teeka } from '../cli/cli.js';
import { projectCopy } from '../support/project-copy.js';

/**
 * Cheap checks of the operator docs and the deployment example. `.ci/onboarding.mjs` runs the
 * onboarding page for real in CI; these catch a broken page or manifest in a plain `npm test`.
 */
const { root } = projectPaths();

interface Block {
  kind: 'onboarding' | 'onboarding-start';
  line: number;
  code: string;
}

async function onboardingBlocks(): Promise<Block[]> {
  const script = (await import(pathToFileURL(join(root, '.ci', 'onboarding.mjs')).href)) as { onboardingBlocks: (md: string) => Block[] };
  return script.onboardingBlocks(readFileSync(join(root, 'docs', 'operators', 'onboarding.md'), 'utf8'));
}

test('the onboarding page: its CI blocks are valid bash, name only existing teeka commands and options, and use files that exist', async (t) => {
  const blocks = await onboardingBlocks();
  t.is(blocks.filter((block) => block.kind === 'onboarding-start').length, 1, 'one block starts the platform');
  t.true(blocks.length >= 8, `found ${blocks.length} blocks`);
  const commands: string[][] = [];
  for (const block of blocks) {
    const syntax = spawnSync('bash', ['-n', '-c', block.code], { encoding: 'utf8' });
    t.is(syntax.status, 0, `onboarding.md:${block.line}: ${syntax.stderr}`);
    for (const line of block.code.split('\n')) {
      const command = /^npx teeka (.+)$/.exec(line.trim());
      if (command) commands.push(command[1].split(/\s+/));
      for (const file of line.match(/docs\/operators\/samples\/[\w.-]+/g) ?? []) t.true(existsSync(join(root, file)), file);
    }
  }
  for (const wanted of ['tenant new', 'tenant check', 'plugin new', 'tenant provision', 'import areas', 'import facilities']) {
    t.true(
      commands.some((args) => args.join(' ').startsWith(wanted)),
      `the walk-through runs teeka ${wanted}`,
    );
  }
  // `--help` after the same arguments: an unknown command or option is a usage error (exit 2).
  const copy = projectCopy().root;
  const results = await Promise.all(commands.map((args) => teeka(copy, [...args, '--help'])));
  results.forEach((result, index) => {
    t.is(result.code, 0, `teeka ${commands[index].join(' ')}: ${result.stderr}`);
  });
});

test('deploy/: compose and Kubernetes files parse, probe /readyz, and the ConfigMap’s tenant passes tenant check in production', async (t) => {
  const compose = parse(readFileSync(join(root, 'deploy', 'compose.yaml'), 'utf8'), { merge: true });
  t.deepEqual(Object.keys(compose.services).sort(), ['app1', 'app2', 'db', 'lb']);
  t.is(compose.services.app2.environment.NODE_ENV, 'production', 'the anchor is merged into each app');
  t.like(compose.services.app2.depends_on, { app1: { condition: 'service_healthy' } });
  t.regex(readFileSync(join(root, 'deploy', 'nginx', 'teeka.conf'), 'utf8'), /server app2:3000/);

  const folder = join(root, 'deploy', 'kubernetes');
  const manifests = readdirSync(folder)
    .filter((name) => name.endsWith('.yaml'))
    .flatMap((name) =>
      parseAllDocuments(readFileSync(join(folder, name), 'utf8')).map((document) => {
        t.deepEqual(document.errors, [], name);
        return document.toJS();
      }),
    );
  const kinds = manifests.map((manifest) => manifest.kind).sort();
  t.deepEqual(kinds, ['ConfigMap', 'Deployment', 'Job', 'Kustomization', 'Secret', 'Service']);
  const deployment = manifests.find((manifest) => manifest.kind === 'Deployment');
  const container = deployment.spec.template.spec.containers[0];
  t.is(container.readinessProbe.httpGet.path, '/readyz');
  t.is(container.livenessProbe.httpGet.path, '/healthz');
  t.true(deployment.spec.template.spec.securityContext.runAsNonRoot);

  // The tenant file in the ConfigMap, with the Secret template's variables, passes production's checks.
  const configMap = manifests.find((manifest) => manifest.kind === 'ConfigMap');
  const secret = manifests.find((manifest) => manifest.kind === 'Secret');
  const copy = projectCopy().root;
  writeFileSync(join(copy, 'tenants', 'ke.yaml'), configMap.data['ke.yaml']);
  const { DATABASE_URL: _url, ...secrets } = secret.stringData as Record<string, string>;
  const checked = await teeka(copy, ['tenant', 'check', 'ke', '--no-translations'], { NODE_ENV: 'production', ...secrets });
  t.is(checked.code, 0, checked.stdout + checked.stderr);
  const missing = await teeka(copy, ['tenant', 'check', 'ke', '--no-translations'], { NODE_ENV: 'production' });
  t.regex(missing.stdout, /TEEKA_KE_HTTP_SMS_API_KEY is not set/, 'the Secret template names every secret the tenant needs');
});
