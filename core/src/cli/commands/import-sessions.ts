import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ErrorObject } from 'ajv';
import type { Settings } from '../../kernel/config/settings.js';
import type { TenantConfig } from '../../kernel/tenancy/tenant-config.js';
import type { NewSession } from '../../scheduling/session-schemas.js';
import { EXIT } from '../args.js';
import type { CsvRow, ProgressBar } from '../csv.js';
import type { OpenTenantDatabase } from '../database.js';

/**
 * `teeka import sessions`: each CSV row becomes the body SessionService.create takes (the session
 * API's), checked against the API's schema, then created by SessionService itself: its rules
 * (centre open, day not past, vaccine and ages, slots within opening hours and in order, slot
 * capacities) and its single transaction, so a file is imported whole or not at all.
 *
 * Columns: facility_id, date (YYYY-MM-DD), vaccine, min_age, max_age (optional), slots
 * ("09:00AM-11:00AM;11:00AM-01:00PM"), capacities ("dose=online/walkin;...", walk-in optional),
 * slot_capacities ("25;25", optional), opens_at (ISO 8601, optional).
 */
export const SESSION_COLUMNS = [
  'facility_id',
  'date',
  'vaccine',
  'min_age',
  'max_age',
  'slots',
  'capacities',
  'slot_capacities',
  'opens_at',
];

const COLUMN_OF: Record<string, string> = {
  facilityId: 'facility_id',
  date: 'date',
  vaccine: 'vaccine',
  minAge: 'min_age',
  maxAge: 'max_age',
  slots: 'slots',
  capacities: 'capacities',
  slotCapacities: 'slot_capacities',
  opensAt: 'opens_at',
};

const optional = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);
/** An integer where the cell holds one; the text otherwise, so the schema names the column. */
const integer = (value: string | undefined) => {
  const text = optional(value);
  return text !== undefined && /^-?\d+$/.test(text) ? Number(text) : text;
};
const list = (value: string | undefined) =>
  optional(value)
    ?.split(';')
    .map((part) => part.trim())
    .filter(Boolean);

/** A row as the session API's body: `1=50/10;2=30` is dose 1 with 50 online and 10 walk-in places, dose 2 with 30 online. */
export function sessionInput(values: Record<string, string>): Record<string, unknown> {
  const capacities = list(values.capacities)?.map((pair) => {
    const [dose = '', places = ''] = pair.split('=');
    const [online = '', walkin] = places.split('/');
    return Object.fromEntries(
      Object.entries({ dose: integer(dose.trim()), online: integer(online.trim()), walkin: integer(walkin?.trim()) }).filter(
        ([, v]) => v !== undefined,
      ),
    );
  });
  const maxAge = integer(values.max_age);
  const input: Record<string, unknown> = {
    facilityId: integer(values.facility_id),
    date: optional(values.date),
    vaccine: optional(values.vaccine),
    minAge: integer(values.min_age),
    ...(maxAge === undefined ? {} : { maxAge }),
    slots: list(values.slots),
    capacities,
    slotCapacities: list(values.slot_capacities)?.map(integer),
    opensAt: optional(values.opens_at),
  };
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
}

/** `/slots/1` → `slots`, `/capacities/0/online` → `capacities`. */
function columnOf(path: string): string {
  const field = /^\/(\w+)/.exec(path)?.[1];
  return (field && COLUMN_OF[field]) || '(row)';
}

function schemaMessage(error: ErrorObject): string {
  const path = error.instancePath;
  const within = /^\/(?:slots|capacities|slotCapacities)\/(\d+)/.exec(path);
  const item = within ? `item ${Number(within[1]) + 1}: ` : '';
  if (error.keyword === 'required') return `${COLUMN_OF[error.params.missingProperty] ?? error.params.missingProperty} is required`;
  if (error.keyword === 'additionalProperties') return `unknown field "${error.params.additionalProperty}"`;
  return `${item}${path.endsWith('/dose') ? 'dose ' : path.endsWith('/online') ? 'online places ' : path.endsWith('/walkin') ? 'walk-in places ' : ''}${error.message ?? 'is not valid'}`;
}

/** Checks every row and creates every session through SessionService, or reports and writes nothing. */
export async function importSessions(options: {
  rows: CsvRow[];
  header: string[];
  file: string;
  config: TenantConfig;
  settings: Settings;
  tenant: OpenTenantDatabase;
  bar: ProgressBar;
  out: (line: string) => void;
}): Promise<number> {
  const { rows, header, file, config, settings, tenant, bar, out } = options;
  const unknown = header.filter((name) => !SESSION_COLUMNS.includes(name));
  const errors: string[] = unknown.map((name) => `line 1: ${name}: unknown column (sessions have ${SESSION_COLUMNS.join(', ')})`);
  const { createAjv } = await import('../../kernel/config/json-schema.js');
  const { NewSession: schema } = await import('../../scheduling/session-schemas.js');
  const validate = createAjv({ useDefaults: false }).compile(schema);
  const inputs: NewSession[] = [];
  rows.forEach(({ line, values }, index) => {
    bar.update(index + 1);
    const input = sessionInput(values);
    if (validate(input)) inputs.push(input as NewSession);
    else {
      const seen = new Set<string>();
      for (const error of validate.errors ?? []) {
        const column = error.keyword === 'required' ? (COLUMN_OF[error.params.missingProperty] ?? '(row)') : columnOf(error.instancePath);
        const text = `line ${line}: ${column}: ${schemaMessage(error)}`;
        if (!seen.has(text)) errors.push(text);
        seen.add(text);
      }
    }
  });
  bar.done();
  if (errors.length > 0) return report(errors, rows.length, file, out);

  // SessionService's rules and transaction: the same code the session API runs, in a scope like a request's.
  const { container } = await import('tsyringe');
  const { TOKENS } = await import('../../kernel/di/tokens.js');
  const { JobQueue } = await import('../../kernel/jobs/job-queue.js');
  const { jobDefinitions } = await import('../../jobs.js');
  const { createLogger } = await import('../../kernel/log/logger.js');
  const { SessionService } = await import('../../scheduling/session-service.js');
  const { ValidationError } = await import('../../kernel/errors.js');
  const log = createLogger(process.env.LOG_LEVEL ?? 'warn', process.stderr as never);
  // The few parts of a running tenant that SessionService's collaborators read (code, config, time zone).
  const tenantLike = { code: config.code, config, orm: tenant.orm, log } as never;
  // Send only: availability events and "booking opens" jobs are queued for the platform's workers to run.
  const jobs = await JobQueue.start({
    url: tenant.url,
    tenant: tenantLike,
    definitions: jobDefinitions,
    log,
    poolMax: 1,
    sendOnly: true,
  });
  try {
    const scope = container.createChildContainer();
    scope.registerInstance(TOKENS.Settings, settings);
    scope.registerInstance(TOKENS.Tenant, tenantLike);
    scope.registerInstance(TOKENS.TenantConfig, config);
    scope.registerInstance(TOKENS.Orm, tenant.orm);
    scope.registerInstance(TOKENS.Crypto, tenant.crypto);
    scope.registerInstance(TOKENS.JobQueue, jobs);
    scope.registerInstance(TOKENS.EntityManager, tenant.orm.em.fork());
    scope.registerInstance(TOKENS.Logger, log);
    scope.registerInstance(TOKENS.RequestOrigin, { ip: 'command-line', userAgent: 'teeka import sessions' });
    scope.registerInstance(TOKENS.Language, 'en');
    const service = scope.resolve(SessionService);
    try {
      const created = await service.create({ operator: 'command-line' }, inputs, (index) => `/${index}`);
      out(`${config.code}: ${created.length} session(s) imported`);
      return EXIT.ok;
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      const text = fieldTexts(settings);
      for (const field of error.fields) {
        const [, index, rest = ''] = /^\/(\d+)(.*)$/.exec(field.path) ?? [];
        const line = rows[Number(index)]?.line ?? '?';
        const slot = /^\/(slots|slotCapacities)\/(\d+)/.exec(rest);
        const which = slot && slot[1] === 'slots' ? `"${inputs[Number(index)].slots[Number(slot[2])]}": ` : '';
        errors.push(`line ${line}: ${columnOf(rest)}: ${which}${text[field.code] ?? field.code}`);
      }
      return report(errors, rows.length, file, out);
    }
  } finally {
    await jobs.stop(0);
  }
}

function report(errors: string[], rows: number, file: string, out: (line: string) => void): number {
  for (const line of errors) out(`${file}: ${line}`);
  out(`${errors.length} error(s) in ${rows} row(s); nothing imported`);
  return EXIT.problems;
}

/** The English texts of the field codes (`errors:fields.slot-overlap`), as the API's problem details give them. */
function fieldTexts(settings: Settings): Record<string, string> {
  try {
    const errors = JSON.parse(readFileSync(join(settings.paths.locales, 'en', 'errors.json'), 'utf8')) as {
      fields?: Record<string, string>;
    };
    return errors.fields ?? {};
  } catch {
    return {};
  }
}
