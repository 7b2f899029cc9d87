import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createAjv, describeErrors } from '../kernel/config/json-schema.js';
import type { TenantOrm } from '../kernel/db/orm.js';
import { ConfigError } from '../kernel/errors.js';

/** One area as a seed file writes it. The parent is an id at the level directly above. */
export interface AreaSeed {
  level: string;
  id: number;
  parent?: number;
  code?: string | null;
  name: string;
  names?: Record<string, string>;
  /**
   * People living in the area, where the tenant gives it: the public dashboard shows coverage
   * (first doses / population) only for areas that have one. Cite the figures' source in the file's `source`.
   */
  population?: number;
}

const entrySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['level', 'id', 'name'],
  properties: {
    level: { type: 'string', pattern: '^[a-z][a-z-]*$' },
    id: { type: 'integer', minimum: 0, maximum: 2147483647 },
    parent: { type: 'integer', minimum: 0, maximum: 2147483647 },
    code: { type: ['string', 'null'], minLength: 1, maxLength: 32 },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    names: {
      type: 'object',
      propertyNames: { pattern: '^[a-z]{2,3}(-[A-Z]{2})?$' },
      additionalProperties: { type: 'string', minLength: 1, maxLength: 200 },
    },
    population: { type: 'integer', minimum: 0, maximum: 9007199254740991 },
  },
};
const fileSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['areas'],
  properties: { source: { type: 'string' }, areas: { type: 'array' } },
};
const ajv = createAjv();
const checkFile = ajv.compile(fileSchema);
const checkEntry = ajv.compile(entrySchema);

/**
 * Reads a tenant's `areas.json` and checks every entry against the tenant's levels: known level,
 * no duplicate (level, id), a parent only below the top level and present in the same file at the
 * level directly above. Any problem is a ConfigError naming the file and the entry.
 */
export function parseAreaSeed(text: string, file: string, levels: string[]): AreaSeed[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file}: not valid JSON: ${(error as Error).message}`);
  }
  if (!checkFile(data)) throw new ConfigError(`${file}: ${describeErrors(checkFile.errors).join('; ')}`);
  const entries = (data as { areas: unknown[] }).areas;
  const seen = new Set<string>();
  const seeds: AreaSeed[] = [];
  entries.forEach((entry, index) => {
    const where = () => `${file}: entry ${index}${isNamed(entry) ? ` (${entry.level} ${entry.id})` : ''}`;
    if (!checkEntry(entry)) throw new ConfigError(`${where()}: ${describeErrors(checkEntry.errors).join('; ')}`);
    const seed = entry as unknown as AreaSeed;
    const depth = levels.indexOf(seed.level);
    if (depth < 0) throw new ConfigError(`${where()}: level "${seed.level}" is not one of the tenant's levels (${levels.join(', ')})`);
    const key = `${seed.level}:${seed.id}`;
    if (seen.has(key)) throw new ConfigError(`${where()}: ${seed.level} ${seed.id} appears twice`);
    if (depth === 0 && seed.parent !== undefined)
      throw new ConfigError(`${where()}: a ${seed.level} is at the top level and has no parent`);
    if (depth > 0) {
      if (seed.parent === undefined) throw new ConfigError(`${where()}: a ${seed.level} needs a parent ${levels[depth - 1]}`);
      if (!seen.has(`${levels[depth - 1]}:${seed.parent}`)) {
        throw new ConfigError(`${where()}: parent ${levels[depth - 1]} ${seed.parent} is not listed before it in the file`);
      }
    }
    seen.add(key);
    seeds.push(seed);
  });
  return seeds;
}

function isNamed(entry: unknown): entry is { level: string; id: number } {
  return typeof entry === 'object' && entry !== null && typeof (entry as { level?: unknown }).level === 'string' && 'id' in entry;
}

/** `tenants/<code>/areas.json`, if the tenant has one. */
export function areaSeedFile(tenantsDir: string, code: string): string | undefined {
  const file = join(tenantsDir, code, 'areas.json');
  return existsSync(file) ? file : undefined;
}

/** Reads and checks a tenant's seed file; none means no areas to load. */
export function readAreaSeeds(tenantsDir: string, root: string, code: string, levels: string[]): AreaSeed[] {
  const file = areaSeedFile(tenantsDir, code);
  if (!file) return [];
  return parseAreaSeed(readFileSync(file, 'utf8'), relative(root, file) || file, levels);
}

/**
 * Upserts the seeds in one statement inside one transaction: a restart changes nothing, an edited
 * name or code is updated in place. Areas missing from the file are kept (later modules will refer
 * to them); removing one is a deliberate data change, not a side effect of start-up.
 * Returns how many rows were inserted or changed.
 */
export async function upsertAreas(orm: TenantOrm, seeds: AreaSeed[], levels: string[]): Promise<number> {
  if (seeds.length === 0) return 0;
  const rows = seeds.map((seed) => {
    const depth = levels.indexOf(seed.level);
    return {
      level: seed.level,
      id: seed.id,
      parent_level: depth > 0 ? levels[depth - 1] : null,
      parent_id: depth > 0 ? seed.parent : null,
      code: seed.code ?? null,
      name: seed.name,
      names: seed.names && Object.keys(seed.names).length > 0 ? seed.names : null,
      population: seed.population ?? null,
    };
  });
  return orm.em.fork().transactional(async (em: EntityManager) => {
    const result = await em.execute<{ affectedRows?: number; rows?: unknown[] }>(
      `insert into area (level, id, parent_level, parent_id, code, name, names, population)
       select level, id, parent_level, parent_id, code, name, names, population
       from jsonb_to_recordset(?::jsonb)
         as seed(level varchar, id int, parent_level varchar, parent_id int, code varchar, name varchar, names jsonb, population bigint)
       on conflict (level, id) do update set
         parent_level = excluded.parent_level, parent_id = excluded.parent_id,
         code = excluded.code, name = excluded.name, names = excluded.names, population = excluded.population
       where (area.parent_level, area.parent_id, area.code, area.name, area.names, area.population)
         is distinct from (excluded.parent_level, excluded.parent_id, excluded.code, excluded.name, excluded.names, excluded.population)`,
      [JSON.stringify(rows)],
      'run',
    );
    return result.affectedRows ?? 0;
  });
}

/** Loads a tenant's areas at start; idempotent. */
export async function loadTenantAreas(
  tenant: { code: string; orm: TenantOrm; config: { areas: { levels: string[] } } },
  paths: { tenants: string; root: string },
): Promise<{ seeds: number; changed: number }> {
  const { levels } = tenant.config.areas;
  const seeds = readAreaSeeds(paths.tenants, paths.root, tenant.code, levels);
  return { seeds: seeds.length, changed: await upsertAreas(tenant.orm, seeds, levels) };
}
