import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { TenantOrm } from '../../kernel/db/orm.js';
import { ConfigError } from '../../kernel/errors.js';
import type { TenantConfig } from '../../kernel/tenancy/tenant-config.js';
import type { AreaSeed } from '../../scheduling/area-seeds.js';
import type { FacilitySeed } from '../../scheduling/facility-seeds.js';
import { type Command, EXIT, stringOption, tenantCode, UsageError } from '../args.js';
import { CsvError, type CsvRow, ProgressBar, parseCsv } from '../csv.js';
import { readTenant } from '../tenant-files.js';

const USAGE = 'teeka import facilities|areas|sessions <file.csv> --tenant <code>';

const HELP = `Imports rows of a CSV file (UTF-8, a header line, RFC 4180 quoting) into a tenant's database.
Every row is checked first, with the same rules as the seed files (tenants/<code>/areas.json and
facilities.json); any bad row stops the import and nothing is written: errors are listed as
"line N: <column>: <message>" and the exit code is 1. A good file is written in one statement
(one transaction): rows are inserted, or update the row with the same id. A progress bar is drawn
on stderr when it is a terminal.

areas columns:       level, id, parent, code, name, name:<lng>...
  parent is the id of an area at the level above, in the database or on an earlier line.
facilities columns:  id, name, address, area_level, area_id, postal_code, latitude, longitude,
                     opens, closes, fee_type, fees, active, name:<lng>..., address:<lng>...
  opens/closes are HH:MM; fee_type is free or paid; fees is "vaccine=amount;vaccine=amount";
  active is true or false (default true). The area must be in the tenant's database.
sessions columns:    facility_id, date, vaccine, min_age, max_age, slots, capacities, slot_capacities, opens_at
  slots is "09:00AM-11:00AM;11:00AM-01:00PM"; capacities is "dose=online/walkin;..." (walk-in
  optional), e.g. "1=50/10;2=30"; slot_capacities ("25;25") and opens_at (ISO 8601) are optional.
  Checked and created by the session API's own rules and code (SessionService), in one transaction.

Options:
  --tenant <code>        the tenant to import into (required when there are several tenant files)`;

export const importCommand: Command = {
  name: 'import',
  summary: 'import areas, facilities or sessions from a CSV file: all rows or none',
  usage: USAGE,
  help: HELP,
  options: { tenant: { type: 'string' } },
  positionals: { min: 2, max: 2 },
  async run(context) {
    const { settings, values, positionals, out, err } = context;
    const [kind, file] = positionals;
    if (kind !== 'areas' && kind !== 'facilities' && kind !== 'sessions')
      throw new UsageError(`unknown import "${kind}" (areas, facilities or sessions)`, USAGE);
    const code = tenantCode(
      stringOption(values, 'tenant') ?? (settings.tenantCodes.length === 1 ? settings.tenantCodes[0] : undefined),
      USAGE,
    );
    const config = readTenant(settings.paths, code);
    const path = resolve(file);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, USAGE);
    }
    let rows: CsvRow[];
    let header: string[];
    try {
      ({ rows, header } = parseCsv(text));
    } catch (error) {
      if (!(error instanceof CsvError)) throw error;
      out(`${file}: ${error.message}`);
      out('nothing imported');
      return EXIT.problems;
    }
    const { upsertAreas } = await import('../../scheduling/area-seeds.js');
    const { upsertFacilities } = await import('../../scheduling/facility-seeds.js');
    const { openTenantDatabase, withDatabaseServer } = await import('../database.js');
    return withDatabaseServer(settings, err, (server) =>
      openTenantDatabase(config, settings, server, async (tenant) => {
        const bar = new ProgressBar(process.stderr, rows.length, `checking ${kind}`, context.stderrIsTty);
        if (kind === 'sessions') {
          const { importSessions } = await import('./import-sessions.js');
          return importSessions({ rows, header, file: relative(process.cwd(), path) || file, config, settings, tenant, bar, out });
        }
        const checked =
          kind === 'areas' ? await checkAreas(rows, config, tenant.orm, bar) : await checkFacilities(rows, config, tenant.orm, bar);
        bar.done();
        if (checked.errors.length > 0) {
          for (const line of checked.errors) out(`${relative(process.cwd(), path) || file}: ${line}`);
          out(`${checked.errors.length} error(s) in ${rows.length} row(s); nothing imported`);
          return EXIT.problems;
        }
        const changed =
          kind === 'areas'
            ? await upsertAreas(tenant.orm, checked.seeds as AreaSeed[], config.areas.levels)
            : await upsertFacilities(tenant.orm, checked.seeds as FacilitySeed[]);
        out(`${code}: ${rows.length} ${kind} row(s) imported (${changed} inserted or changed)`);
        return EXIT.ok;
      }),
    );
  },
};

interface Checked<T> {
  seeds: T[];
  errors: string[];
}

const optional = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);
/** A number where the cell holds one; the text otherwise, so the schema names the column. */
const numeric = (value: string | undefined) => {
  const text = optional(value);
  return text !== undefined && /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
};
const localised = (values: Record<string, string>, prefix: string) => {
  const entries = Object.entries(values).filter(([name, value]) => name.startsWith(`${prefix}:`) && value !== '');
  return entries.length > 0 ? Object.fromEntries(entries.map(([name, value]) => [name.slice(prefix.length + 1), value])) : undefined;
};
const compact = <T extends object>(value: T): T => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;

/** `line 7: entry 0 (facility 3): /latitude: must be <= 90; /name: ...` as `latitude: must be <= 90` lines. */
function rowErrors(error: ConfigError, line: number, column: (path: string) => string, guess: (message: string) => string): string[] {
  const message = error.message.replace(/^line \d+: entry \d+(?: \([^)]*\))?: /, '');
  return message.split('; ').map((part) => {
    const located = /^(\/[^:\s]*|\(top level\)): (.*)$/.exec(part);
    if (!located) return `line ${line}: ${guess(part)}: ${part}`;
    const [, where, text] = located;
    const missing = /^missing required property "([^"]+)"$/.exec(text);
    const path = where === '(top level)' ? (missing ? `/${missing[1]}` : '') : `${where}${missing ? `/${missing[1]}` : ''}`;
    return `line ${line}: ${column(path) || '(row)'}: ${text}`;
  });
}

const FACILITY_COLUMNS: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^\/names\/([^/]+)/, (m) => `name:${m[1]}`],
  [/^\/addresses\/([^/]+)/, (m) => `address:${m[1]}`],
  [/^\/area\/level/, () => 'area_level'],
  [/^\/area(\/id)?$/, () => 'area_id'],
  [/^\/postalCode/, () => 'postal_code'],
  [/^\/hours\/from/, () => 'opens'],
  [/^\/hours(\/to)?$/, () => 'closes'],
  [/^\/feeType/, () => 'fee_type'],
  [/^\/fees/, () => 'fees'],
  [/^\/(\w+)/, (m) => m[1]],
];

function facilityColumn(path: string): string {
  for (const [pattern, name] of FACILITY_COLUMNS) {
    const m = pattern.exec(path);
    if (m) return name(m);
  }
  return '';
}

function facilityGuess(message: string): string {
  if (message.startsWith('area ')) return 'area_id';
  if (message.startsWith('postal code')) return 'postal_code';
  if (message.startsWith('opens at')) return 'closes';
  if (message.includes('fee')) return 'fees';
  if (message.includes("tenant's languages")) return 'name';
  return '(row)';
}

async function knownAreas(orm: TenantOrm): Promise<Set<string>> {
  const rows = await orm.em.getConnection().execute<{ level: string; id: number }[]>('select level, id from area');
  return new Set(rows.map((row) => `${row.level}:${row.id}`));
}

async function checkFacilities(rows: CsvRow[], config: TenantConfig, orm: TenantOrm, bar: ProgressBar): Promise<Checked<FacilitySeed>> {
  const rules = {
    languages: config.languages.enabled,
    postalCode: config.areas.postalCode,
    vaccines: config.vaccines.map((vaccine) => vaccine.code),
    currency: config.currency,
    areas: await knownAreas(orm),
  };
  const { parseFacilitySeed } = await import('../../scheduling/facility-seeds.js');
  const seeds: FacilitySeed[] = [];
  const errors: string[] = [];
  const firstLine = new Map<number, number>();
  rows.forEach(({ line, values }, index) => {
    bar.update(index + 1);
    const feeText = optional(values.fees);
    const fees = feeText
      ? Object.fromEntries(
          feeText.split(';').map((pair) => {
            const [vaccine, amount = ''] = pair.split('=');
            return [vaccine.trim(), amount.trim()];
          }),
        )
      : undefined;
    const active = optional(values.active);
    const entry = compact({
      id: numeric(values.id),
      name: optional(values.name),
      names: localised(values, 'name'),
      address: optional(values.address),
      addresses: localised(values, 'address'),
      area: compact({ level: optional(values.area_level), id: numeric(values.area_id) }),
      postalCode: optional(values.postal_code),
      latitude: numeric(values.latitude),
      longitude: numeric(values.longitude),
      hours: compact({ from: optional(values.opens), to: optional(values.closes) }),
      feeType: optional(values.fee_type),
      fees,
      active: active === undefined ? undefined : active === 'true' ? true : active === 'false' ? false : active,
    });
    try {
      const [seed] = parseFacilitySeed(JSON.stringify({ facilities: [entry] }), `line ${line}`, rules);
      const first = firstLine.get(seed.id);
      if (first !== undefined) {
        errors.push(`line ${line}: id: facility ${seed.id} appears twice (first on line ${first})`);
        return;
      }
      firstLine.set(seed.id, line);
      seeds.push(seed);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      errors.push(...rowErrors(error, line, facilityColumn, facilityGuess));
    }
  });
  return { seeds, errors };
}

function areaColumn(path: string): string {
  const localisedName = /^\/names\/([^/]+)/.exec(path);
  if (localisedName) return `name:${localisedName[1]}`;
  return /^\/(\w+)/.exec(path)?.[1] ?? '';
}

async function checkAreas(rows: CsvRow[], config: TenantConfig, orm: TenantOrm, bar: ProgressBar): Promise<Checked<AreaSeed>> {
  const { levels } = config.areas;
  const known = await knownAreas(orm);
  const { parseAreaSeed } = await import('../../scheduling/area-seeds.js');
  const seeds: AreaSeed[] = [];
  const errors: string[] = [];
  const firstLine = new Map<string, number>();
  rows.forEach(({ line, values }, index) => {
    bar.update(index + 1);
    const level = optional(values.level) ?? '';
    const depth = levels.indexOf(level);
    const parentText = optional(values.parent);
    const rowProblems: string[] = [];
    let parent: number | undefined;
    if (depth > 0) {
      if (parentText === undefined) rowProblems.push(`line ${line}: parent: a ${level} needs a parent ${levels[depth - 1]}`);
      else if (!/^\d+$/.test(parentText)) rowProblems.push(`line ${line}: parent: "${parentText}" is not an area id`);
      else {
        parent = Number(parentText);
        if (!known.has(`${levels[depth - 1]}:${parent}`)) {
          rowProblems.push(`line ${line}: parent: ${levels[depth - 1]} ${parent} is neither in the database nor on an earlier line`);
        }
      }
    } else if (depth === 0 && parentText !== undefined) {
      rowProblems.push(`line ${line}: parent: a ${level} is at the top level and has no parent`);
    }
    const entry = compact({
      level: optional(values.level),
      id: numeric(values.id),
      code: optional(values.code),
      name: optional(values.name),
      names: localised(values, 'name'),
    });
    try {
      // Checked as if its level were the top one: the parent is checked above, against the database too.
      const [seed] = parseAreaSeed(JSON.stringify({ areas: [entry] }), `line ${line}`, depth > 0 ? levels.slice(depth) : levels);
      const key = `${seed.level}:${seed.id}`;
      const first = firstLine.get(key);
      if (first !== undefined) rowProblems.push(`line ${line}: id: ${seed.level} ${seed.id} appears twice (first on line ${first})`);
      if (rowProblems.length === 0) {
        firstLine.set(key, line);
        known.add(key);
        seeds.push(parent === undefined ? seed : { ...seed, parent });
      }
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      const level = /level "[^"]*" is not one of/.test(error.message)
        ? [`line ${line}: level: "${entry.level}" is not one of the tenant's levels (${levels.join(', ')})`]
        : rowErrors(error, line, areaColumn, () => '(row)');
      rowProblems.push(...level);
    }
    errors.push(...rowProblems);
  });
  return { seeds, errors };
}
