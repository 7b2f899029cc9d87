import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PROJECT_ROOT } from '../../kernel/config/paths.js';
import { type Command, EXIT, stringOption, UsageError } from '../args.js';

const USAGE = 'teeka plugin new --kind id-verifier|sms-gateway <name> [--countries KE,TZ] [--description <text>]';
const KINDS = ['id-verifier', 'sms-gateway'] as const;
type Kind = (typeof KINDS)[number];

/** Where the templates are: text files next to this command's sources, never compiled by the build. */
export const TEMPLATES = join(PROJECT_ROOT, 'core', 'src', 'cli', 'templates', 'plugin');

export const pluginNew: Command = {
  name: 'plugin new',
  summary: 'create a plugin package (manifest, source, contract tests, README) under plugins/<name>',
  usage: USAGE,
  help: `Creates plugins/<name>/ with package.json (the "teeka" manifest), tsconfig.json, src/index.ts (a
small working example of the kind), test/<name>.test.ts (the SDK's contract kits) and README.md, and
adds the package to the root tsconfig.json references so \`npx tsc -b\` builds it and \`npm test\` runs it.
<name> is the plugin id: lower-case letters, digits and dashes (e.g. ke-nid).

Options:
  --kind <kind>          id-verifier or sms-gateway (required)
  --countries <list>     ISO 3166-1 alpha-2 codes it serves (default: * for any)
  --description <text>   one line for the manifest and README`,
  options: { kind: { type: 'string' }, countries: { type: 'string' }, description: { type: 'string' } },
  positionals: { min: 1, max: 1 },
  async run({ settings, values, positionals, out }) {
    const { paths } = settings;
    const kind = stringOption(values, 'kind') as Kind | undefined;
    if (!kind) throw new UsageError('--kind is required (id-verifier or sms-gateway)', USAGE);
    if (!KINDS.includes(kind)) throw new UsageError(`--kind: "${kind}" is not id-verifier or sms-gateway`, USAGE);
    const name = positionals[0];
    if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name) || name.length > 64) {
      throw new UsageError(`"${name}" is not a plugin id: lower-case letters, digits and single dashes, starting with a letter`, USAGE);
    }
    const countryList = (stringOption(values, 'countries') ?? '*')
      .split(',')
      .map((code) => code.trim().toUpperCase())
      .filter(Boolean);
    const bad = countryList.filter((code) => code !== '*' && !/^[A-Z]{2}$/.test(code));
    if (bad.length > 0 || countryList.length === 0)
      throw new UsageError(`--countries: "${bad.join(', ')}" are not ISO country codes`, USAGE);
    const folder = join(paths.plugins, name);
    if (existsSync(folder)) throw new UsageError(`${relative(paths.root, folder)} already exists`, USAGE);

    const title = name
      .split('-')
      .map((word) => word[0].toUpperCase() + word.slice(1))
      .join(' ');
    const description =
      stringOption(values, 'description') ??
      (kind === 'id-verifier' ? `Teeka ID-verifier plugin for ${title} numbers` : `Teeka SMS gateway plugin: ${title}`);
    const configSchema =
      kind === 'id-verifier'
        ? { type: 'object', additionalProperties: false, properties: { example: { type: 'string', minLength: 1, maxLength: 64 } } }
        : { type: 'object', additionalProperties: false, properties: { senderId: { type: 'string', minLength: 1, maxLength: 11 } } };
    const slots: Record<string, string> = {
      name,
      kind,
      title,
      Pascal: title.replace(/ /g, ''),
      description: description.replace(/["\\]/g, ''),
      countries: JSON.stringify(countryList),
      configSchema: JSON.stringify(configSchema, null, 2).replace(/\n/g, '\n    '),
      kit: kind === 'id-verifier' ? 'idVerifierContract' : 'smsGatewayContract',
      usage: kind === 'id-verifier' ? `  idVerifiers:\n    - id: ${name}` : `  sms:\n    id: ${name}`,
    };
    const fill = (template: string) =>
      readFileSync(join(TEMPLATES, template), 'utf8').replace(/\{\{(\w+)\}\}/g, (whole, key: string) => slots[key] ?? whole);
    const files: [string, string][] = [
      ['package.json', 'package.json.tmpl'],
      ['tsconfig.json', 'tsconfig.json.tmpl'],
      ['README.md', 'README.md.tmpl'],
      ['src/index.ts', `${kind}/index.ts.tmpl`],
      [`test/${name}.test.ts`, `${kind}/plugin.test.ts.tmpl`],
    ];
    for (const [target, template] of files) {
      mkdirSync(join(folder, target, '..'), { recursive: true });
      writeFileSync(join(folder, target), fill(template));
      out(`wrote ${relative(paths.root, join(folder, target))}`);
    }
    out(addReference(join(paths.root, 'tsconfig.json'), `plugins/${name}`));
    out(`next: npx tsc -b && npm test -- plugins/${name}/dist/test, then name it in a tenant file and run teeka tenant check`);
    return EXIT.ok;
  },
};

/** Adds `{ "path": "<path>" }` after the last plugin in the root tsconfig.json's references. */
function addReference(tsconfig: string, path: string): string {
  if (!existsSync(tsconfig)) return `no ${tsconfig}: add { "path": "${path}" } to your build's references`;
  const text = readFileSync(tsconfig, 'utf8');
  if (text.includes(`"${path}"`)) return `tsconfig.json already references ${path}`;
  const entries = [...text.matchAll(/^(\s*)\{ "path": "plugins\/[^"]+" \},?\n/gm)];
  const last = entries.at(-1);
  if (!last || last.index === undefined) return `add { "path": "${path}" } to the references of tsconfig.json`;
  const end = last.index + last[0].length;
  const line = last[0].trimEnd().endsWith(',') ? `${last[1]}{ "path": "${path}" },\n` : '';
  const updated = line
    ? `${text.slice(0, end)}${line}${text.slice(end)}`
    : `${text.slice(0, end - 1)},\n${last[1]}{ "path": "${path}" }\n${text.slice(end)}`;
  writeFileSync(tsconfig, updated);
  return `added ${path} to the references of tsconfig.json`;
}
