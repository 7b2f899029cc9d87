import { inject, injectable } from 'tsyringe';
import type { TenantCrypto } from '../kernel/crypto/tenant-crypto.js';
import { TOKENS } from '../kernel/di/tokens.js';
import type { EligibilityPhase, TenantConfig } from '../kernel/tenancy/tenant-config.js';
import { addDays, type GivenDose, nextDose } from '../vaccination/dose-schedule.js';
import { DoseService } from '../vaccination/dose-service.js';

export interface Person {
  /** Age in whole years as the programme counts it: the session's year minus the birth year. */
  age: number;
  hasComorbidity: boolean;
}

/** What eligibility reads of a beneficiary (an entity, or a row read with the booking). */
export interface EligibilityPerson {
  id: string;
  birthYear: number;
  comorbiditiesEnc?: Uint8Array | null;
}

/** What eligibility reads of a session. */
export interface EligibilitySession {
  date: string;
  vaccine: string;
  minAge: number;
  maxAge?: number | null;
}

/**
 * Whether the programme is open to this person for a session on `date`: above the tenant's
 * minimum age and, where the tenant opens in phases, within a phase that has opened by that date
 * (60+ first, then 45+ with a comorbidity, then 45+, then adults). Without phases everyone above
 * the minimum age is eligible. Pure, so the phase tables can be tested directly.
 */
export function phaseOpen(eligibility: { minAgeYears: number; phases?: EligibilityPhase[] }, person: Person, date: string): boolean {
  if (person.age < eligibility.minAgeYears) return false;
  const phases = eligibility.phases ?? [];
  if (phases.length === 0) return true;
  return phases.some(
    (phase) =>
      phase.opensOn <= date &&
      person.age >= phase.minAgeYears &&
      (phase.maxAgeYears === undefined || person.age <= phase.maxAgeYears) &&
      (!phase.requiresComorbidity || person.hasComorbidity),
  );
}

/**
 * Whether a beneficiary may take a place in a session: the dose they are due for (its vaccine and
 * interval), their age against the session's limits and the programme's phases, and that the
 * session offers that dose. Answers a field code for the refusal, or the dose they would get.
 */
@injectable()
export class EligibilityService {
  constructor(
    @inject(TOKENS.TenantConfig) private readonly tenant: TenantConfig,
    @inject(TOKENS.Crypto) private readonly crypto: TenantCrypto,
    @inject(DoseService) private readonly doses: DoseService,
  ) {}

  async check(
    beneficiary: EligibilityPerson,
    session: EligibilitySession,
    today: string,
    offered: Set<number>,
    exception?: string,
    /** The beneficiary's dose history when the caller read it already (the booking reads it in its one query). */
    known?: GivenDose[],
  ): Promise<string | { dose: number; exception?: string }> {
    const date = String(session.date);
    const history = known ?? (await this.doses.history(beneficiary.id));
    const due = nextDose(history, this.tenant.vaccines, today);
    if (due.status === 'complete') return 'dose-not-due';
    if (!due.vaccines.includes(session.vaccine)) return 'vaccine-mismatch';
    let excepted: string | undefined;
    if (date < due.earliest) {
      // An exception (travel) allows the dose earlier, from its own minimum after the last dose.
      const last = history.reduce<GivenDose | undefined>((a, b) => (a && a.doseNumber > b.doseNumber ? a : b), undefined);
      const interval = this.tenant.vaccines.find((v) => v.code === session.vaccine)?.intervals.find((i) => i.dose === due.doseNumber);
      const allowed = interval?.exceptions?.find((e) => e.reason === exception);
      if (!exception || !allowed || !last || date < addDays(last.givenOn, allowed.minDays)) return 'dose-too-early';
      excepted = allowed.reason;
    }
    if (due.latest && date > due.latest) return 'dose-too-late';
    const age = Number(date.slice(0, 4)) - beneficiary.birthYear;
    if (age < session.minAge || (session.maxAge != null && age > session.maxAge)) return 'age-not-eligible';
    // Phases gate who may start; later doses follow the series already begun.
    if (due.doseNumber === 1 && !phaseOpen(this.tenant.eligibility, { age, hasComorbidity: this.hasComorbidity(beneficiary) }, date)) {
      return 'phase-not-open';
    }
    if (!offered.has(due.doseNumber)) return 'dose-not-offered';
    return excepted ? { dose: due.doseNumber, exception: excepted } : { dose: due.doseNumber };
  }

  private hasComorbidity(beneficiary: EligibilityPerson): boolean {
    if (!beneficiary.comorbiditiesEnc) return false;
    const declared: unknown = JSON.parse(this.crypto.decrypt(Buffer.from(beneficiary.comorbiditiesEnc)));
    return Array.isArray(declared) && declared.length > 0;
  }
}
