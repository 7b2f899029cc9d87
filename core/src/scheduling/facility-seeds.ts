import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createAjv, describeErrors } from '../kernel/config/json-schema.js';
import type { TenantOrm } from '../kernel/db/orm.js';
import { ConfigError } from '../kernel/errors.js';
import type { AreaSeed } from './area-seeds.js';
import { readAreaSeeds } from './area-seeds.js';
import type { FeeType } from './facility.entity.js';

/** One vaccination centre as a seed file writes it. */
export interface FacilitySeed {
  id: number;
  name: string;
  names?: Record<string, string>;
  address?: string;
  addresses?: Record<string, string>;
  area: { level: string; id: number };
  postalCode?: string;
  latitude: number;
  longitude: number;
  hours: { from: string; to: string };
  feeType: FeeType;
  fees?: Record<string, string>;
  active: boolean;
}

/** What of the tenant's file a facility seed is checked against. */
export interface FacilitySeedRules {
  languages: string[];
  postalCode?: { pattern: string };
  vaccines: string[];
  currency: string;
  /** The tenant's areas, as `level:id`; a centre must belong to one of them. */
  areas: Set<string>;
}

const Time = '^([01][0-9]|2[0-3]):[0-5][0-9]$';
const localised = (maxLength: number) => ({
  type: 'object',
  propertyNames: { pattern: '^[a-z]{2,3}(-[A-Z]{2})?$' },
  additionalProperties: { type: 'string', minLength: 1, maxLength },
});
const entrySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'area', 'latitude', 'longitude', 'hours', 'feeType'],
  properties: {
    id: { type: 'integer', minimum: 0, maximum: 2147483647 },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    names: localised(200),
    address: { type: 'string', minLength: 1, maxLength: 400 },
    addresses: localised(400),
    area: {
      type: 'object',
      additionalProperties: false,
      required: ['level', 'id'],
      properties: {
        level: { type: 'string', pattern: '^[a-z][a-z-]*$' },
        id: { type: 'integer', minimum: 0, maximum: 2147483647 },
      },
    },
    postalCode: { type: 'string', minLength: 1, maxLength: 16 },
    latitude: { type: 'number', minimum: -90, maximum: 90 },
    longitude: { type: 'number', minimum: -180, maximum: 180 },
    hours: {
      type: 'object',
      additionalProperties: false,
      required: ['from', 'to'],
      properties: { from: { type: 'string', pattern: Time }, to: { type: 'string', pattern: Time } },
    },
    feeType: { enum: ['free', 'paid'] },
    fees: { type: 'object', additionalProperties: { type: 'string' } },
    active: { type: 'boolean', default: true },
  },
};
const fileSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['facilities'],
  properties: { source: { type: 'string' }, facilities: { type: 'array' } },
};
const ajv = createAjv();
const checkFile = ajv.compile(fileSchema);
const checkEntry = ajv.compile(entrySchema);

/** Digits after the decimal point for amounts in a currency (2 for INR, MXN, AED; 0 for JPY). */
export function currencyDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/**
 * Reads a tenant's `facilities.json` and checks every entry against the tenant: unique ids, an
 * area that the tenant's areas file lists, a postal code in the tenant's format, opening before
 * closing, and fees only for paid centres, for the tenant's vaccines, as amounts written with the
 * currency's decimals ("780.00"). Any problem is a ConfigError naming the file and the entry.
 */
export function parseFacilitySeed(text: string, file: string, rules: FacilitySeedRules): FacilitySeed[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file}: not valid JSON: ${(error as Error).message}`);
  }
  if (!checkFile(data)) throw new ConfigError(`${file}: ${describeErrors(checkFile.errors).join('; ')}`);
  const postalCode = rules.postalCode ? new RegExp(rules.postalCode.pattern) : undefined;
  const digits = currencyDigits(rules.currency);
  const amount = new RegExp(`^(0|[1-9][0-9]{0,8})${digits > 0 ? `\\.[0-9]{${digits}}` : ''}$`);
  const seen = new Set<number>();
  return (data as { facilities: unknown[] }).facilities.map((entry, index) => {
    const where = () => `${file}: entry ${index}${hasId(entry) ? ` (facility ${entry.id})` : ''}`;
    if (!checkEntry(entry)) throw new ConfigError(`${where()}: ${describeErrors(checkEntry.errors).join('; ')}`);
    const seed = entry as unknown as FacilitySeed;
    if (seen.has(seed.id)) throw new ConfigError(`${where()}: facility ${seed.id} appears twice`);
    seen.add(seed.id);
    for (const lng of [...Object.keys(seed.names ?? {}), ...Object.keys(seed.addresses ?? {})]) {
      if (!rules.languages.includes(lng))
        throw new ConfigError(`${where()}: "${lng}" is not one of the tenant's languages (${rules.languages.join(', ')})`);
    }
    if (!rules.areas.has(`${seed.area.level}:${seed.area.id}`)) {
      throw new ConfigError(`${where()}: area ${seed.area.level} ${seed.area.id} is not in the tenant's areas file`);
    }
    if (seed.postalCode !== undefined && postalCode && !postalCode.test(seed.postalCode)) {
      throw new ConfigError(`${where()}: postal code "${seed.postalCode}" does not match ${rules.postalCode?.pattern}`);
    }
    if (seed.hours.from >= seed.hours.to) throw new ConfigError(`${where()}: opens at ${seed.hours.from} but closes at ${seed.hours.to}`);
    const fees = Object.entries(seed.fees ?? {});
    if (seed.feeType === 'free' && fees.length > 0) throw new ConfigError(`${where()}: a free centre has no fees`);
    if (seed.feeType === 'paid' && fees.length === 0) throw new ConfigError(`${where()}: a paid centre needs fees by vaccine`);
    for (const [vaccine, fee] of fees) {
      if (!rules.vaccines.includes(vaccine)) {
        throw new ConfigError(`${where()}: fee for "${vaccine}", which is not one of the tenant's vaccines (${rules.vaccines.join(', ')})`);
      }
      if (!amount.test(fee))
        throw new ConfigError(
          `${where()}: fee "${fee}" for ${vaccine} is not an amount in ${rules.currency} like "${(780).toFixed(digits)}"`,
        );
    }
    return seed;
  });
}

function hasId(entry: unknown): entry is { id: number | string } {
  const id = typeof entry === 'object' && entry !== null ? (entry as { id?: unknown }).id : undefined;
  return typeof id === 'number' || typeof id === 'string';
}

/** `tenants/<code>/facilities.json`, if the tenant has one. */
export function facilitySeedFile(tenantsDir: string, code: string): string | undefined {
  const file = join(tenantsDir, code, 'facilities.json');
  return existsSync(file) ? file : undefined;
}

interface SeedTenantConfig {
  code: string;
  currency: string;
  languages: { enabled: string[] };
  areas: { levels: string[]; postalCode?: { pattern: string } };
  vaccines: { code: string }[];
}

/** Reads and checks a tenant's facility seeds against its config and area seeds; no file means none. */
export function readFacilitySeeds(tenantsDir: string, root: string, config: SeedTenantConfig, areas: AreaSeed[]): FacilitySeed[] {
  const file = facilitySeedFile(tenantsDir, config.code);
  if (!file) return [];
  return parseFacilitySeed(readFileSync(file, 'utf8'), relative(root, file) || file, {
    languages: config.languages.enabled,
    postalCode: config.areas.postalCode,
    vaccines: config.vaccines.map((vaccine) => vaccine.code),
    currency: config.currency,
    areas: new Set(areas.map((area) => `${area.level}:${area.id}`)),
  });
}

/**
 * Upserts the seeds in one statement inside one transaction, after the areas (foreign key): a
 * restart changes nothing, an edited centre is updated in place. Centres missing from the file are
 * kept (appointments will refer to them); closing one is `"active": false`, not a deletion.
 * Returns how many rows were inserted or changed.
 */
export async function upsertFacilities(orm: TenantOrm, seeds: FacilitySeed[]): Promise<number> {
  if (seeds.length === 0) return 0;
  const nonEmpty = (value?: Record<string, string>) => (value && Object.keys(value).length > 0 ? value : null);
  const rows = seeds.map((seed) => ({
    id: seed.id,
    name: seed.name,
    names: nonEmpty(seed.names),
    address: seed.address ?? null,
    addresses: nonEmpty(seed.addresses),
    area_level: seed.area.level,
    area_id: seed.area.id,
    postal_code: seed.postalCode ?? null,
    latitude: seed.latitude,
    longitude: seed.longitude,
    opens_at: seed.hours.from,
    closes_at: seed.hours.to,
    fee_type: seed.feeType,
    fees: seed.feeType === 'paid' ? nonEmpty(seed.fees) : null,
    active: seed.active,
  }));
  const updatable = [
    'name',
    'names',
    'address',
    'addresses',
    'area_level',
    'area_id',
    'postal_code',
    'latitude',
    'longitude',
    'opens_at',
    'closes_at',
    'fee_type',
    'fees',
    'active',
  ];
  const columns = ['id', ...updatable].join(', ');
  const updated = updatable.map((column) => `${column} = excluded.${column}`).join(', ');
  const current = updatable.map((column) => `facility.${column}`).join(', ');
  const incoming = updatable.map((column) => `excluded.${column}`).join(', ');
  return orm.em.fork().transactional(async (em: EntityManager) => {
    const result = await em.execute<{ affectedRows?: number }>(
      `insert into facility (${columns})
       select ${columns}
       from jsonb_to_recordset(?::jsonb)
         as seed(id int, name varchar, names jsonb, address varchar, addresses jsonb, area_level varchar, area_id int,
                 postal_code varchar, latitude numeric, longitude numeric, opens_at varchar, closes_at varchar,
                 fee_type varchar, fees jsonb, active boolean)
       on conflict (id) do update set ${updated}
       where (${current}) is distinct from (${incoming})`,
      [JSON.stringify(rows)],
      'run',
    );
    return result.affectedRows ?? 0;
  });
}

/** Loads a tenant's facilities (checked against its areas file) at start; idempotent. */
export async function loadTenantFacilities(
  tenant: { code: string; orm: TenantOrm; config: SeedTenantConfig },
  paths: { tenants: string; root: string },
): Promise<{ seeds: number; changed: number }> {
  const areas = readAreaSeeds(paths.tenants, paths.root, tenant.code, tenant.config.areas.levels);
  const seeds = readFacilitySeeds(paths.tenants, paths.root, tenant.config, areas);
  return { seeds: seeds.length, changed: await upsertFacilities(tenant.orm, seeds) };
}
