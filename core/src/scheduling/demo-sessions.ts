import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createAjv, describeErrors } from '../kernel/config/json-schema.js';
import type { Settings } from '../kernel/config/settings.js';
import type { TenantOrm } from '../kernel/db/orm.js';
import { ConfigError } from '../kernel/errors.js';
import type { Logger } from '../kernel/log/logger.js';
import { addDays } from '../vaccination/dose-schedule.js';
import type { FacilitySeed } from './facility-seeds.js';
import { evenSplit, minutesOf, type ParsedSlot, parseSlot, todayIn } from './slots.js';

/**
 * Demo sessions (development only): a tenant that ships `tenants/<code>/demo-sessions.json` gets,
 * at every start, the sessions that file plans for each day from today to today + `daysAhead` in
 * its time zone, wherever they are missing. Each planned session has a deterministic id (a
 * name-based UUID of tenant, centre, day, vaccine and ages), inserted with `on conflict do
 * nothing`: a restart, or two processes starting at once, never creates one twice.
 */

/** One entry of the file: every centre listed offers every vaccine listed, for every age range. */
export interface DemoSessionEntry {
  facilities: number[];
  vaccines: string[];
  ages: { minAge: number; maxAge?: number | null }[];
  /** "09:00AM-11:00AM" labels, in order, within the centre's opening hours. */
  slots: string[];
  capacities: { dose: number; online: number; walkin?: number }[];
}

/** A tenant's plan, checked: the sessions of one day, repeated over the window. */
export interface DemoSessionPlan {
  file: string;
  daysAhead: number;
  sessions: PlannedSession[];
}

export interface PlannedSession {
  facilityId: number;
  vaccine: string;
  minAge: number;
  maxAge: number | null;
  slots: ParsedSlot[];
  /** Online places of the slots: the online places of every dose split evenly, as SessionService does. */
  slotCapacities: number[];
  capacities: { dose: number; online: number; walkin: number }[];
}

interface DemoTenantConfig {
  code: string;
  timeZone: string;
  vaccines: { code: string; doses: number; minAgeYears?: number; booster?: unknown }[];
}

const capacity = {
  type: 'object',
  additionalProperties: false,
  required: ['dose', 'online'],
  properties: {
    dose: { type: 'integer', minimum: 1, maximum: 20 },
    online: { type: 'integer', minimum: 0, maximum: 100000 },
    walkin: { type: 'integer', minimum: 0, maximum: 100000, default: 0 },
  },
};
const fileSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['sessions'],
  properties: {
    source: { type: 'string' },
    daysAhead: { type: 'integer', minimum: 0, maximum: 60, default: 7 },
    sessions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['facilities', 'vaccines', 'ages', 'slots', 'capacities'],
        properties: {
          facilities: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'integer', minimum: 0, maximum: 2147483647 } },
          vaccines: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', minLength: 1, maxLength: 40 } },
          ages: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['minAge'],
              properties: {
                minAge: { type: 'integer', minimum: 0, maximum: 130 },
                maxAge: { type: ['integer', 'null'], minimum: 0, maximum: 130 },
              },
            },
          },
          slots: { type: 'array', minItems: 1, maxItems: 48, items: { type: 'string', minLength: 1, maxLength: 40 } },
          capacities: { type: 'array', minItems: 1, maxItems: 20, items: capacity },
        },
      },
    },
  },
};
const checkFile = createAjv().compile(fileSchema);

/**
 * Reads and checks a tenant's demo plan against its vaccines and its facility seeds: active
 * centres only, slots inside opening hours and in order, doses the vaccine has, ages the vaccine
 * allows, fees for every vaccine offered at a paid centre, and no session planned twice. Any
 * problem is a ConfigError naming the file and the entry. No file means no plan.
 */
export function readDemoSessionPlan(
  tenantsDir: string,
  root: string,
  config: DemoTenantConfig,
  facilities: FacilitySeed[],
): DemoSessionPlan | undefined {
  const path = join(tenantsDir, config.code, 'demo-sessions.json');
  if (!existsSync(path)) return undefined;
  return parseDemoSessionPlan(readFileSync(path, 'utf8'), relative(root, path) || path, config, facilities);
}

export function parseDemoSessionPlan(text: string, file: string, config: DemoTenantConfig, facilities: FacilitySeed[]): DemoSessionPlan {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file}: not valid JSON: ${(error as Error).message}`);
  }
  if (!checkFile(data)) throw new ConfigError(`${file}: ${describeErrors(checkFile.errors).join('; ')}`);
  const { daysAhead, sessions: entries } = data as { daysAhead: number; sessions: DemoSessionEntry[] };
  const byId = new Map(facilities.map((facility) => [facility.id, facility]));
  const seen = new Set<string>();
  const sessions: PlannedSession[] = [];
  for (const [index, entry] of entries.entries()) {
    const fail = (problem: string): never => {
      throw new ConfigError(`${file}: sessions entry ${index}: ${problem}`);
    };
    const slots = entry.slots.map((text) => parseSlot(text) ?? fail(`slot "${text}" is not like "09:00AM-11:00AM"`));
    slots.forEach((slot, at) => {
      if (at > 0 && slot.from < slots[at - 1].to) fail(`slot ${slot.label} overlaps the one before`);
    });
    const doses = entry.capacities.map((c) => c.dose);
    if (new Set(doses).size !== doses.length) fail('a dose has two capacities');
    const online = entry.capacities.reduce((sum, c) => sum + c.online, 0);
    const slotCapacities = evenSplit(online, slots.length);
    for (const code of entry.vaccines) {
      const vaccine = config.vaccines.find((v) => v.code === code) ?? fail(`"${code}" is not one of the tenant's vaccines`);
      const lastDose = vaccine.doses + (vaccine.booster ? 1 : 0);
      for (const dose of doses) if (dose > lastDose) fail(`${code} has no dose ${dose}`);
      for (const { minAge } of entry.ages) {
        if (minAge < (vaccine.minAgeYears ?? 0)) fail(`${code} is for ages ${vaccine.minAgeYears} and over, not ${minAge}`);
      }
    }
    for (const id of entry.facilities) {
      const facility = byId.get(id) ?? fail(`facility ${id} is not in the tenant's facilities file`);
      if (!facility.active) fail(`facility ${id} is closed ("active": false)`);
      for (const slot of slots) {
        if (slot.from < minutesOf(facility.hours.from) || slot.to > minutesOf(facility.hours.to)) {
          fail(`slot ${slot.label} is outside the opening hours of facility ${id} (${facility.hours.from}-${facility.hours.to})`);
        }
      }
      for (const vaccine of entry.vaccines) {
        if (facility.feeType === 'paid' && !facility.fees?.[vaccine]) fail(`facility ${id} is paid but has no fee for ${vaccine}`);
        for (const { minAge, maxAge } of entry.ages) {
          if (maxAge != null && maxAge < minAge) fail(`maxAge ${maxAge} is below minAge ${minAge}`);
          const key = sessionKey(id, vaccine, minAge, maxAge ?? null);
          if (seen.has(key))
            fail(`facility ${id} already has a ${vaccine} session for ages ${minAge}${maxAge == null ? '+' : `-${maxAge}`}`);
          seen.add(key);
          sessions.push({
            facilityId: id,
            vaccine,
            minAge,
            maxAge: maxAge ?? null,
            slots,
            slotCapacities,
            capacities: entry.capacities.map((c) => ({ dose: c.dose, online: c.online, walkin: c.walkin ?? 0 })),
          });
        }
      }
    }
  }
  return { file, daysAhead, sessions };
}

function sessionKey(facilityId: number, vaccine: string, minAge: number, maxAge: number | null): string {
  return `${facilityId}:${vaccine}:${minAge}:${maxAge ?? ''}`;
}

/** A name-based UUID (version 5 layout, SHA-1) for a planned session on a day. */
export function demoSessionId(
  tenant: string,
  date: string,
  session: Pick<PlannedSession, 'facilityId' | 'vaccine' | 'minAge' | 'maxAge'>,
): string {
  const hash = createHash('sha1')
    .update(`teeka:demo-session:${tenant}:${date}:${sessionKey(session.facilityId, session.vaccine, session.minAge, session.maxAge)}`)
    .digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The plans of the tenants that have one, in development mode with demo sessions on; none otherwise. */
export function readDemoSessionPlans(
  settings: Pick<Settings, 'mode' | 'demoSessions' | 'paths'>,
  configs: DemoTenantConfig[],
  facilities: Map<string, FacilitySeed[]>,
): Map<string, DemoSessionPlan> {
  const plans = new Map<string, DemoSessionPlan>();
  if (settings.mode !== 'development' || !settings.demoSessions) return plans;
  for (const config of configs) {
    const plan = readDemoSessionPlan(settings.paths.tenants, settings.paths.root, config, facilities.get(config.code) ?? []);
    if (plan) plans.set(config.code, plan);
  }
  return plans;
}

/**
 * Creates the planned sessions missing from today to today + daysAhead, with their capacities per
 * dose and their slots, in one transaction. Returns how many sessions were created.
 */
export async function createDemoSessions(
  orm: TenantOrm,
  config: DemoTenantConfig,
  plan: DemoSessionPlan,
  now = new Date(),
): Promise<number> {
  if (plan.sessions.length === 0) return 0;
  const today = todayIn(config.timeZone, now);
  const sessions: Record<string, unknown>[] = [];
  const capacities: Record<string, unknown>[] = [];
  const slots: Record<string, unknown>[] = [];
  for (let day = 0; day <= plan.daysAhead; day++) {
    const date = addDays(today, day);
    for (const planned of plan.sessions) {
      const id = demoSessionId(config.code, date, planned);
      sessions.push({
        id,
        facility_id: planned.facilityId,
        date,
        vaccine: planned.vaccine,
        min_age: planned.minAge,
        max_age: planned.maxAge,
      });
      for (const c of planned.capacities) {
        capacities.push({ session_id: id, dose_number: c.dose, online_capacity: c.online, walkin_capacity: c.walkin });
      }
      planned.slots.forEach((slot, index) => {
        slots.push({ session_id: id, slot_index: index, label: slot.label, capacity: planned.slotCapacities[index] });
      });
    }
  }
  return orm.em.fork().transactional(async (em: EntityManager) => {
    // Only the sessions this statement inserted get capacities and slots: a session that exists
    // (or that a concurrent start inserted first) is left as it is.
    const created = await em.execute<{ id: string }[]>(
      `insert into vaccination_session (id, facility_id, date, vaccine, min_age, max_age)
       select id, facility_id, date, vaccine, min_age, max_age
       from jsonb_to_recordset(?::jsonb) as s(id uuid, facility_id int, date date, vaccine varchar, min_age int, max_age int)
       on conflict (id) do nothing
       returning id`,
      [JSON.stringify(sessions)],
    );
    if (created.length === 0) return 0;
    const ids = JSON.stringify(created.map((row) => row.id));
    await em.execute(
      `insert into session_capacity (session_id, dose_number, online_capacity, walkin_capacity)
       select c.session_id, c.dose_number, c.online_capacity, c.walkin_capacity
       from jsonb_to_recordset(?::jsonb) as c(session_id uuid, dose_number int, online_capacity int, walkin_capacity int)
       where c.session_id in (select value::uuid from jsonb_array_elements_text(?::jsonb))`,
      [JSON.stringify(capacities), ids],
      'run',
    );
    await em.execute(
      `insert into session_slot (session_id, slot_index, label, capacity)
       select s.session_id, s.slot_index, s.label, s.capacity
       from jsonb_to_recordset(?::jsonb) as s(session_id uuid, slot_index int, label varchar, capacity int)
       where s.session_id in (select value::uuid from jsonb_array_elements_text(?::jsonb))`,
      [JSON.stringify(slots), ids],
      'run',
    );
    return created.length;
  });
}

/** At start: the tenant's missing demo sessions, and one log line with how many were created. */
export async function prepareDemoSessions(
  tenant: { code: string; orm: TenantOrm; config: DemoTenantConfig },
  plan: DemoSessionPlan | undefined,
  logger: Logger,
): Promise<number> {
  if (!plan) return 0;
  const created = await createDemoSessions(tenant.orm, tenant.config, plan);
  const from = todayIn(tenant.config.timeZone);
  logger.info({ tenant: tenant.code, created, from, to: addDays(from, plan.daysAhead) }, 'demo sessions created where missing');
  return created;
}
