import { type Static, Type } from '@sinclair/typebox';
import { NewBeneficiary } from '../registration/beneficiary-schemas.js';
import { INJECTION_SITES } from './dose-record.entity.js';

/** Request bodies and queries of the staff vaccination API (plain JSON Schema through TypeBox). */
const Uuid = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });
const IsoDate = Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$' });
const Instant = Type.String({ format: 'date-time' });
const Reason = Type.String({ minLength: 3, maxLength: 200, pattern: '^[^\\u0000-\\u001f<>]+$' });
const Site = Type.Union(INJECTION_SITES.map((site) => Type.Literal(site)));
const strict = { additionalProperties: false } as const;

export const DayQuery = Type.Object({ facility: Type.String({ pattern: '^[1-9][0-9]{0,8}$' }), date: Type.Optional(IsoDate) }, strict);

export const CodeVerification = Type.Object({ securityCode: Type.String({ pattern: '^[0-9]{4}$' }) }, strict);

export const DocumentVerification = Type.Object({ sessionId: Uuid, document: NewBeneficiary.properties.document }, strict);

export const WalkIn = Type.Object(
  { ...NewBeneficiary.properties, sessionId: Uuid, mobile: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })) },
  strict,
);
export type WalkIn = Static<typeof WalkIn>;

export const IdempotencyKey = Type.String({ pattern: '^[A-Za-z0-9_.:-]{8,100}$' });

export const NewDose = Type.Object(
  {
    sessionId: Uuid,
    beneficiary: Type.String({ pattern: '^[0-9]{14}$' }),
    batchId: Uuid,
    doseNumber: Type.Integer({ minimum: 1, maximum: 20 }),
    injectionSite: Site,
    administeredAt: Type.Optional(Instant),
    vaccinatorId: Type.Optional(Uuid),
    intervalException: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    /** The same as the Idempotency-Key header, for clients (forms) that cannot set headers. */
    idempotencyKey: Type.Optional(IdempotencyKey),
  },
  strict,
);

export const Correction = Type.Object(
  {
    reason: Reason,
    batchId: Type.Optional(Uuid),
    injectionSite: Type.Optional(Site),
    administeredAt: Type.Optional(Instant),
    vaccinatorId: Type.Optional(Uuid),
  },
  strict,
);

export const Void = Type.Object({ reason: Reason }, strict);
