import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { parseDocument } from 'yaml';
import { createAjv, validateWith } from '../config/json-schema.js';
import { ConfigError } from '../errors.js';
import type { TenantConfig } from './tenant-config.js';
import { tenantSchema } from './tenant-schema.js';

const validateTenant = createAjv().compile(tenantSchema);

/** Reads and validates every `tenants/<code>.yaml`; any problem in any file stops start-up. */
export function loadTenantFiles(directory: string, root: string): TenantConfig[] {
  const files = readdirSync(directory)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort();
  const problems: string[] = [];
  const tenants: TenantConfig[] = [];
  for (const file of files) {
    const path = join(directory, file);
    try {
      tenants.push(parseTenantFile(readFileSync(path, 'utf8'), basename(file).replace(/\.ya?ml$/, '')));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(`${relative(root, path)}:\n${error.message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(`Invalid tenant file(s):\n${problems.join('\n')}`);
  if (tenants.length === 0) throw new ConfigError(`No tenant files (*.yaml) in ${relative(root, directory) || directory}`);
  return tenants;
}

/** Parses one tenant file's text; `expectedCode` is the file's name without extension. */
export function parseTenantFile(text: string, expectedCode: string): TenantConfig {
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    throw new ConfigError(document.errors.map((e) => `  YAML: ${e.message.split('\n')[0]}`).join('\n'));
  }
  const result = validateWith<TenantConfig>(validateTenant, document.toJS() ?? {});
  if (!result.ok) throw new ConfigError(result.errors.map((line) => `  ${line}`).join('\n'));
  const problems = semanticProblems(result.value, expectedCode);
  if (problems.length > 0) throw new ConfigError(problems.map((line) => `  ${line}`).join('\n'));
  return result.value;
}

/** What a schema cannot say: cross-field rules. */
function semanticProblems(tenant: TenantConfig, expectedCode: string): string[] {
  const problems: string[] = [];
  if (tenant.code !== expectedCode) {
    problems.push(`/code: "${tenant.code}" must match the file name "${expectedCode}"`);
  }
  const { enabled, fallback = {} } = tenant.languages;
  if (!enabled.includes(tenant.languages.default)) {
    problems.push(`/languages/default: "${tenant.languages.default}" must be one of the enabled languages (${enabled.join(', ')})`);
  }
  for (const [lng, chain] of Object.entries(fallback)) {
    for (const target of [lng, ...chain]) {
      if (!enabled.includes(target)) {
        problems.push(`/languages/fallback/${lng}: "${target}" is not an enabled language (${enabled.join(', ')})`);
      }
    }
  }
  try {
    new Intl.DateTimeFormat('en', { timeZone: tenant.timeZone });
  } catch {
    problems.push(`/timeZone: "${tenant.timeZone}" is not an IANA time zone (for example Asia/Kolkata)`);
  }
  const codes = new Set<string>();
  tenant.vaccines.forEach((vaccine, index) => {
    if (codes.has(vaccine.code)) problems.push(`/vaccines/${index}/code: "${vaccine.code}" is declared twice`);
    codes.add(vaccine.code);
    vaccine.intervals.forEach((interval, i) => {
      if (interval.dose > vaccine.doses) {
        problems.push(`/vaccines/${index}/intervals/${i}/dose: ${interval.dose} exceeds the ${vaccine.doses} doses of ${vaccine.code}`);
      }
    });
  });
  if (tenant.areas.postalCode) {
    try {
      new RegExp(tenant.areas.postalCode.pattern);
    } catch {
      problems.push(`/areas/postalCode/pattern: not a valid regular expression`);
    }
  }
  const ids = tenant.plugins.idVerifiers.map((use) => use.id);
  if (new Set(ids).size !== ids.length) problems.push(`/plugins/idVerifiers: a plugin is listed twice`);
  return problems;
}
