import type { EntityManager } from '@mikro-orm/postgresql';
import { inject, injectable } from 'tsyringe';
import { boundedMemo } from '../kernel/cache/bounded-memo.js';
import type { TenantCrypto } from '../kernel/crypto/tenant-crypto.js';
import { addToBatch, readsById } from '../kernel/db/write-batch.js';
import { TOKENS } from '../kernel/di/tokens.js';
import { dateTimeFormat } from '../kernel/i18n/intl-cache.js';
import { zonedInstant } from '../kernel/i18n/zoned-time.js';
import { defineJob, type JobContext, type JobPolicy, type Translate } from '../kernel/jobs/job.js';
import type { JobQueue } from '../kernel/jobs/job-queue.js';
import type { Logger } from '../kernel/log/logger.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import { parseSlot, todayIn } from '../scheduling/slots.js';
import { type GivenDose, nextDose } from '../vaccination/dose-schedule.js';
import { SmsDispatcher } from './sms-dispatcher.js';

/** Reminders go out the evening before the session, local time. */
export const REMINDER_MINUTES = 18 * 60;
/** A dose-due notice goes out in the morning of the first day the dose may be given. */
export const DOSE_DUE_MINUTES = 9 * 60;

export type CancelReason = 'citizen' | 'session-cancelled';

/** Where an appointment was when the notice was asked for; a notice about another place is stale. */
interface Placement {
  appointmentId: string;
  sessionId: string;
  slotIndex: number;
  /** The session's date (YYYY-MM-DD): staff may move a whole session to another day. */
  date: string;
}

// --- Time in the tenant's zone -------------------------------------------------------------------

export { zonedInstant };

/** When the reminder for a session on `date` is due: the evening before, local time. */
export function reminderTime(date: string, timeZone: string): Date {
  const dayBefore = new Date(Date.parse(`${date}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
  return zonedInstant(dayBefore, REMINDER_MINUTES, timeZone);
}

/**
 * When to remind about an appointment made now for `date`, or undefined when there is nothing to
 * remind: the evening before has already come (booked for today, or for tomorrow after 18:00), so
 * the confirmation or the move's notice, sent now, is the reminder. Two SMS about the same
 * appointment a second apart would only cost the citizen's attention and the tenant's SMS budget.
 */
export function reminderDue(date: string, timeZone: string, now = Date.now()): Date | undefined {
  const at = reminderTime(date, timeZone);
  return at.getTime() > now ? at : undefined;
}

interface Formatting {
  locale: string;
  timeZone: string;
}

/**
 * Days and slots already written, by language, zone, day and slot: the notices of a busy session
 * all say the same (formatRange alone cost ~2 % of the main thread in a booking storm). Emptied when
 * it grows past a bound.
 */
const remembered = boundedMemo<string>(10_000);

function formatDay(date: string, { locale, timeZone }: Formatting): string {
  return remembered(`${locale} ${timeZone} ${date}`, () =>
    dateTimeFormat(locale, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone }).format(
      zonedInstant(date, 12 * 60, timeZone),
    ),
  );
}

/** "09:00AM-11:00AM" in the person's language: "9:00 – 11:00 am", "9:00–11:00 a. m.". */
function formatSlot(date: string, label: string, { locale, timeZone }: Formatting): string {
  return remembered(`${locale} ${timeZone} ${date} ${label}`, () => {
    const slot = parseSlot(label);
    if (!slot) return label;
    const format = dateTimeFormat(locale, { hour: 'numeric', minute: '2-digit', timeZone });
    return format.formatRange(zonedInstant(date, slot.from, timeZone), zonedInstant(date, slot.to, timeZone));
  });
}

// --- Sending ---------------------------------------------------------------------------------------

interface AppointmentRow {
  id: string;
  state: string;
  session_id: string;
  slot_index: number;
  date: string;
  label: string;
  security_code: string;
  name: string;
  phone_enc: Buffer;
  language: string;
  facility_name: string | null;
  facility_names: Record<string, string> | null;
  facility_id: number;
}

/**
 * The appointments of notices being sent, with what their SMS says, by id. Prepared: planning this
 * six-table join cost PostgreSQL more than running it. The notices a job worker sends side by side
 * (`together`) read theirs in one statement (WriteBatch): one round trip for the batch, not one each.
 */
const APPOINTMENTS_SQL = `select a.id, a.state, a.session_id, a.slot_index, to_char(s.date, 'YYYY-MM-DD') as date, sl.label,
    a.security_code, b.name, acc.phone_enc, acc.language, f.name as facility_name, f.names as facility_names, s.facility_id
  from appointment a
  join beneficiary b on b.id = a.beneficiary_id
  join account acc on acc.id = a.account_id
  join vaccination_session s on s.id = a.session_id
  join session_slot sl on sl.session_id = a.session_id and sl.slot_index = a.slot_index
  left join facility f on f.id = s.facility_id
  where a.id = any($1::uuid[])`;

const appointmentReads = readsById<AppointmentRow>('teeka-notice-appointments', APPOINTMENTS_SQL);

function appointment(context: JobContext, id: string): Promise<AppointmentRow | undefined> {
  return addToBatch(context.em, 'notice-appointments', appointmentReads, id);
}

function samePlace(row: AppointmentRow, placement: Placement): boolean {
  return (
    row.state === 'booked' &&
    row.session_id === placement.sessionId &&
    row.slot_index === placement.slotIndex &&
    row.date === placement.date
  );
}

/** The person's phone, language and the appointment's details as their SMS shows them. */
function speak(context: JobContext, row: AppointmentRow): { t: Translate; details: Record<string, string> } {
  const { t, lng } = context.useLanguage(row.language);
  const formatting = { locale: context.tenant.locale(lng), timeZone: context.tenant.config.timeZone };
  return {
    t,
    details: {
      name: row.name,
      code: row.security_code,
      date: formatDay(row.date, formatting),
      slot: formatSlot(row.date, row.label, formatting),
      centre: row.facility_names?.[lng] ?? row.facility_name ?? String(row.facility_id),
    },
  };
}

async function deliver(context: JobContext, phoneEnc: Buffer, text: string, purpose: string, reference: string): Promise<void> {
  const crypto = context.container.resolve<TenantCrypto>(TOKENS.Crypto);
  const to = crypto.decrypt(Buffer.from(phoneEnc));
  const result = await context.container.resolve(SmsDispatcher).send({ to, text, purpose, reference });
  // Every gateway failed: pg-boss tries the job again later.
  if (result.state === 'failed') throw new Error(`notice ${purpose} not sent (sms ${result.id})`);
  context.log.info({ smsId: result.id, purpose }, 'notice sent');
}

/**
 * An appointment notice reads one appointment (readsById), writes one SMS record and waits on the
 * gateway: the notices of one fetch are sent side by side, so those statements are shared (a booking
 * storm queues a confirmation per booking).
 */
const NOTICE_POLICY: JobPolicy = { together: true };

function skip(context: JobContext, why: string): void {
  context.log.info({ skipped: why }, 'notice not needed any more');
}

export const appointmentBookedJob = defineJob<Placement>({
  name: 'notice.appointment-booked',
  policy: NOTICE_POLICY,
  async handle(data, context) {
    const row = await appointment(context, data.appointmentId);
    // Cancelled since (its own notice), or moved before this ran: the move's notice has the code too.
    if (!row || !samePlace(row, data)) return skip(context, 'appointment cancelled or moved');
    const { t, details } = speak(context, row);
    await deliver(context, row.phone_enc, t('notices:appointment.booked', details), 'appointment-booked', row.id);
  },
});

export const appointmentReminderJob = defineJob<Placement>({
  name: 'notice.appointment-reminder',
  policy: NOTICE_POLICY,
  async handle(data, context) {
    const row = await appointment(context, data.appointmentId);
    // Cancelled or moved since: a move sends its own reminder for the new place.
    if (!row || !samePlace(row, data)) return skip(context, 'appointment cancelled or moved');
    if (row.date < todayIn(context.tenant.config.timeZone)) return skip(context, 'session is over');
    const { t, details } = speak(context, row);
    await deliver(context, row.phone_enc, t('notices:appointment.reminder', details), 'appointment-reminder', row.id);
  },
});

export const appointmentMovedJob = defineJob<Placement>({
  name: 'notice.appointment-moved',
  policy: NOTICE_POLICY,
  async handle(data, context) {
    const row = await appointment(context, data.appointmentId);
    // Moved again (a later notice tells the final place) or cancelled (its own notice).
    if (!row || !samePlace(row, data)) return skip(context, 'appointment moved again or cancelled');
    const { t, details } = speak(context, row);
    await deliver(context, row.phone_enc, t('notices:appointment.moved', details), 'appointment-moved', row.id);
  },
});

export const appointmentCancelledJob = defineJob<{ appointmentId: string; reason: CancelReason }>({
  name: 'notice.appointment-cancelled',
  policy: NOTICE_POLICY,
  async handle(data, context) {
    const row = await appointment(context, data.appointmentId);
    if (row?.state !== 'cancelled') return skip(context, 'appointment not cancelled');
    const { t, details } = speak(context, row);
    const text =
      data.reason === 'session-cancelled'
        ? t('notices:appointment.session-cancelled', details)
        : t('notices:appointment.cancelled', details);
    await deliver(context, row.phone_enc, text, 'appointment-cancelled', row.id);
  },
});

interface DoseDue {
  beneficiaryId: string;
  doseNumber: number;
}

export const doseDueJob = defineJob<DoseDue>({
  // One after another (not NOTICE_POLICY): its three reads are its own, not batched, so side by side
  // they would only take more of the pool's connections at once, and dose-due notices come due in
  // bursts (09:00, 28 or 84 days after a busy day).
  name: 'notice.dose-due',
  async handle(data, context) {
    const [person] = await context.em.execute<{ name: string; phone_enc: Buffer; language: string }[]>(
      `select b.name, acc.phone_enc, acc.language from beneficiary b join account acc on acc.id = b.account_id where b.id = ?`,
      [data.beneficiaryId],
    );
    if (!person) return skip(context, 'beneficiary deleted');
    // The same history DoseService.history reads; read here directly because DoseService calls us.
    const history = await context.em.execute<GivenDose[]>(
      `select vaccine, dose_number as "doseNumber", to_char(given_on, 'YYYY-MM-DD') as "givenOn"
       from dose_record where beneficiary_id = ? and state <> 'voided' order by dose_number`,
      [data.beneficiaryId],
    );
    const { config } = context.tenant;
    const due = nextDose(history, config.vaccines, todayIn(config.timeZone));
    if (due.status !== 'due' || due.doseNumber !== data.doseNumber) return skip(context, 'dose given or schedule changed');
    const [{ n: booked }] = await context.em.execute<{ n: number }[]>(
      `select count(*)::int as n from appointment where beneficiary_id = ? and dose_number = ? and state = 'booked'`,
      [data.beneficiaryId, data.doseNumber],
    );
    if (booked > 0) return skip(context, 'dose already booked');
    const { t, lng } = context.useLanguage(person.language);
    const vaccines = due.vaccines.map((code) => config.vaccines.find((v) => v.code === code)?.name ?? code);
    const text = t('notices:dose-due', {
      name: person.name,
      dose: due.doseNumber,
      vaccine: new Intl.ListFormat(context.tenant.locale(lng), { type: 'disjunction' }).format(vaccines),
      date: formatDay(due.earliest, { locale: context.tenant.locale(lng), timeZone: config.timeZone }),
    });
    await deliver(context, person.phone_enc, text, 'dose-due', data.beneficiaryId);
  },
});

/** The jobs of this module, for the tenant's job queue (core/src/jobs.ts). */
export const noticeJobs = [appointmentBookedJob, appointmentReminderJob, appointmentMovedJob, appointmentCancelledJob, doseDueJob];

// --- What other modules call -----------------------------------------------------------------------

/**
 * SMS notices to citizens about their appointments and doses, sent through the tenant's job
 * queue so they survive a restart and go out once, whichever app process runs them. Call each
 * method after the transaction that changed the appointments has committed. The methods never
 * throw: a notice that cannot be queued is logged (ids only) and the booking stands. Calling one
 * twice for the same change queues one notice.
 */
@injectable()
export class AppointmentNotices {
  constructor(
    @inject(TOKENS.EntityManager) private readonly em: EntityManager,
    @inject(TOKENS.TenantConfig) private readonly tenant: TenantConfig,
    @inject(TOKENS.JobQueue) private readonly jobs: JobQueue,
    @inject(TOKENS.Logger) private readonly log: Logger,
  ) {}

  /** New appointments: a confirmation with the security code now, a reminder the evening before. */
  async booked(appointmentIds: readonly string[]): Promise<void> {
    await this.each('booked', appointmentIds, async (placement) => {
      await this.jobs.send(appointmentBookedJob, placement, { key: `booked:${placement.appointmentId}` });
      await this.remind(placement);
    });
  }

  /** Appointments now in another session, slot or day (the citizen rescheduled, or staff moved the session). */
  async moved(appointmentIds: readonly string[]): Promise<void> {
    await this.each('moved', appointmentIds, async (placement) => {
      await this.jobs.send(appointmentMovedJob, placement, { key: placeKey(placement) });
      // The reminder for the old place finds the appointment gone from it and sends nothing.
      await this.remind(placement);
    });
  }

  /** Cancelled appointments, by the citizen or with their session. Their reminders send nothing. */
  async cancelled(appointmentIds: readonly string[], reason: CancelReason): Promise<void> {
    await this.each('cancelled', appointmentIds, async ({ appointmentId }) => {
      await this.jobs.send(appointmentCancelledJob, { appointmentId, reason }, { key: `cancelled:${appointmentId}` });
    });
  }

  /**
   * A dose was recorded: when the schedule has a next dose, a notice on the first day it may be
   * given (at once if that day has come), unless the dose is given or booked by then.
   */
  async doseRecorded(beneficiaryId: string, history: readonly GivenDose[]): Promise<void> {
    try {
      const due = nextDose(history, this.tenant.vaccines, todayIn(this.tenant.timeZone));
      if (due.status !== 'due') return;
      await this.jobs.send(
        doseDueJob,
        { beneficiaryId, doseNumber: due.doseNumber },
        {
          key: `dose-due:${beneficiaryId}:${due.doseNumber}`,
          startAfter: zonedInstant(due.earliest, DOSE_DUE_MINUTES, this.tenant.timeZone),
        },
      );
    } catch (error) {
      this.log.error({ err: error, beneficiaryId }, 'dose-due notice not queued');
    }
  }

  private async remind(placement: Placement): Promise<void> {
    const startAfter = reminderDue(placement.date, this.tenant.timeZone);
    if (!startAfter) return;
    await this.jobs.send(appointmentReminderJob, placement, { key: `reminder:${placeKey(placement)}`, startAfter });
  }

  private async each(what: string, appointmentIds: readonly string[], queue: (placement: Placement) => Promise<void>): Promise<void> {
    if (appointmentIds.length === 0) return;
    let placements: Placement[] = [];
    try {
      placements = await this.em.execute<Placement[]>(
        `select a.id as "appointmentId", a.session_id as "sessionId", a.slot_index as "slotIndex", to_char(s.date, 'YYYY-MM-DD') as date
         from appointment a join vaccination_session s on s.id = a.session_id
         where a.id in (${appointmentIds.map(() => '?').join(', ')})`,
        [...appointmentIds],
      );
    } catch (error) {
      this.log.error({ err: error, notice: what, appointments: appointmentIds.length }, 'appointment notices not queued');
      return;
    }
    for (const placement of placements) {
      try {
        await queue(placement);
      } catch (error) {
        this.log.error({ err: error, notice: what, appointmentId: placement.appointmentId }, 'appointment notice not queued');
      }
    }
  }
}

export function placeKey({ appointmentId, sessionId, slotIndex, date }: Placement): string {
  return `${appointmentId}:${sessionId}:${slotIndex}:${date}`;
}
