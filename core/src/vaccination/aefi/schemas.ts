import { type Static, Type } from '@sinclair/typebox';
import { CAUSALITIES, OUTCOMES, SERIOUS_CRITERIA, SEVERITIES, STATUSES } from './codes.js';

/** Request bodies and queries of the AEFI API (plain JSON Schema through TypeBox). */
const Uuid = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
const Area = '^[a-z][a-z-]{0,31}:(0|[1-9][0-9]{0,8})$';
const Code = Type.String({ pattern: '^[a-z][a-z0-9-]{0,39}$' });
const oneOf = <T extends string>(values: readonly T[]) => Type.Unsafe<T>({ type: 'string', enum: [...values] });
const strict = { additionalProperties: false } as const;

/** What the reporter says about the event; the dose it followed is named apart. */
const event = {
  severity: oneOf(SEVERITIES),
  /** Required for a serious case, refused otherwise. */
  seriousCriteria: Type.Optional(Type.Array(oneOf(SERIOUS_CRITERIA), { minItems: 1, uniqueItems: true })),
  /** Codes of the tenant's symptom list; `other` needs `otherSymptom`. */
  symptoms: Type.Array(Code, { minItems: 1, maxItems: 30, uniqueItems: true }),
  otherSymptom: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  description: Type.Optional(Type.String({ minLength: 1, maxLength: 4000 })),
  onsetAt: Type.String({ format: 'date-time' }),
  outcome: Type.Optional(oneOf(OUTCOMES)),
  /** The batch's lot number, when the dose record does not name its batch. */
  lotNumber: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9./-]{0,39}$' })),
};

/** A citizen names one of their own beneficiaries and which dose of theirs. */
export const CitizenReport = Type.Object(
  { beneficiary: Type.String({ pattern: '^[1-9][0-9]{13}$' }), doseNumber: Type.Integer({ minimum: 1, maximum: 20 }), ...event },
  strict,
);
export type CitizenReport = Static<typeof CitizenReport>;

/** Staff name the dose record, and may name the batch by id. */
export const StaffReport = Type.Object(
  { doseRecordId: Type.String({ pattern: Uuid }), batchId: Type.Optional(Type.String({ pattern: Uuid })), ...event },
  strict,
);
export type StaffReport = Static<typeof StaffReport>;

export type EventReport = Omit<CitizenReport, 'beneficiary' | 'doseNumber'> & { batchId?: string };

export const FollowUp = Type.Object(
  {
    /** When the follow-up happened (a visit, a call); now if absent. */
    at: Type.Optional(Type.String({ format: 'date-time' })),
    note: Type.Optional(Type.String({ minLength: 1, maxLength: 4000 })),
    outcome: Type.Optional(oneOf(OUTCOMES)),
  },
  { ...strict, minProperties: 1 },
);
export type FollowUp = Static<typeof FollowUp>;

export const StatusChange = Type.Object(
  {
    status: oneOf(STATUSES.filter((status) => status !== 'reported')),
    /** Required to close a case, refused otherwise. */
    causality: Type.Optional(oneOf(CAUSALITIES)),
    note: Type.Optional(Type.String({ minLength: 1, maxLength: 4000 })),
  },
  strict,
);
export type StatusChange = Static<typeof StatusChange>;

export const CaseQuery = Type.Object(
  {
    severity: Type.Optional(oneOf(SEVERITIES)),
    status: Type.Optional(oneOf(STATUSES)),
    batchId: Type.Optional(Type.String({ pattern: Uuid })),
    facility: Type.Optional(Type.String({ pattern: '^(0|[1-9][0-9]{0,8})$' })),
    area: Type.Optional(Type.String({ pattern: Area })),
    vaccine: Type.Optional(Type.String({ maxLength: 40 })),
    from: Type.Optional(Type.String({ format: 'date' })),
    to: Type.Optional(Type.String({ format: 'date' })),
    limit: Type.Optional(Type.String({ pattern: '^([1-9][0-9]?|[1-4][0-9]{2}|500)$' })),
  },
  strict,
);
export type CaseQuery = Static<typeof CaseQuery>;

export const ScopeQuery = Type.Object(
  { area: Type.Optional(Type.String({ pattern: Area })), facility: Type.Optional(Type.String({ pattern: '^(0|[1-9][0-9]{0,8})$' })) },
  strict,
);

export const BatchCountQuery = Type.Object(
  { area: Type.Optional(Type.String({ pattern: Area })), vaccine: Type.Optional(Type.String({ maxLength: 40 })) },
  strict,
);
export type BatchCountQuery = Static<typeof BatchCountQuery>;
