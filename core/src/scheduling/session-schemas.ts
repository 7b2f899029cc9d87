import { type Static, Type } from '@sinclair/typebox';

const IsoDate = '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$';

export const NewSession = Type.Object(
  {
    facilityId: Type.Integer({ minimum: 0, maximum: 2147483647 }),
    date: Type.String({ pattern: IsoDate }),
    vaccine: Type.String({ minLength: 1, maxLength: 40 }),
    minAge: Type.Integer({ minimum: 0, maximum: 130 }),
    maxAge: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 130 }), Type.Null()])),
    /** "09:00AM-11:00AM" style ranges, in order, not overlapping. */
    slots: Type.Array(Type.String({ minLength: 1, maxLength: 40 }), { minItems: 1, maxItems: 48 }),
    /** Places per dose number (1, 2, then boosters numbered on), online and walk-in. */
    capacities: Type.Array(
      Type.Object(
        {
          dose: Type.Integer({ minimum: 1, maximum: 20 }),
          online: Type.Integer({ minimum: 0, maximum: 100000 }),
          walkin: Type.Optional(Type.Integer({ minimum: 0, maximum: 100000 })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 20 },
    ),
    /** An announced opening: booking starts at this moment (ISO 8601 with offset); by default at once. */
    opensAt: Type.Optional(Type.String({ format: 'date-time' })),
    /** Online places per slot; by default the online places of every dose split evenly. */
    slotCapacities: Type.Optional(Type.Array(Type.Integer({ minimum: 0, maximum: 100000 }), { minItems: 1, maxItems: 48 })),
  },
  { additionalProperties: false },
);
export type NewSession = Static<typeof NewSession>;

export const NewSessions = Type.Array(NewSession, { minItems: 1, maxItems: 100 });

export const SessionListQuery = Type.Object(
  {
    facility: Type.String({ pattern: '^(0|[1-9][0-9]{0,8})$' }),
    date: Type.String({ pattern: IsoDate }),
    lng: Type.Optional(Type.String({ maxLength: 35 })),
  },
  { additionalProperties: false },
);

export const NewBooking = Type.Object(
  {
    sessionId: Type.String({ format: 'uuid' }),
    /** The slot's label, as the session lists it ("09:00AM-11:00AM"). */
    slot: Type.String({ minLength: 1, maxLength: 40 }),
    beneficiaries: Type.Array(Type.String({ pattern: '^[1-9][0-9]{13}$' }), { minItems: 1, maxItems: 10, uniqueItems: true }),
    /** A reason the tenant accepts for a dose before its usual interval (`travel`); checked at the centre. */
    intervalException: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9-]{0,39}$' })),
  },
  { additionalProperties: false },
);
export type NewBooking = Static<typeof NewBooking>;

export const IdempotencyKey = Type.String({ pattern: '^[A-Za-z0-9_.:-]{8,100}$' });

export const Reschedule = Type.Object(
  {
    sessionId: Type.String({ format: 'uuid' }),
    slot: Type.String({ minLength: 1, maxLength: 40 }),
  },
  { additionalProperties: false },
);
export type Reschedule = Static<typeof Reschedule>;

export const SessionCancellation = Type.Object(
  { reason: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) },
  { additionalProperties: false },
);
export type SessionCancellation = Static<typeof SessionCancellation>;

export const SessionMove = Type.Object(
  {
    date: Type.String({ pattern: IsoDate }),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type SessionMove = Static<typeof SessionMove>;

/** Exactly one search (`area=<level>:<id>`, `postalCode`, `lat`+`long`, or `facility`), from a day, for up to 14 days. */
export const AvailabilityQuery = Type.Object(
  {
    area: Type.Optional(Type.String({ pattern: '^[a-z][a-z-]{0,31}:(0|[1-9][0-9]{0,8})$' })),
    postalCode: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9 -]{0,15}$' })),
    lat: Type.Optional(Type.String({ pattern: '^-?[0-9]{1,3}(\\.[0-9]{1,8})?$' })),
    long: Type.Optional(Type.String({ pattern: '^-?[0-9]{1,3}(\\.[0-9]{1,8})?$' })),
    radiusKm: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}(\\.[0-9]{1,3})?$' })),
    facility: Type.Optional(Type.String({ pattern: '^(0|[1-9][0-9]{0,8})$' })),
    from: Type.Optional(Type.String({ pattern: IsoDate })),
    days: Type.Optional(Type.String({ pattern: '^([1-9]|1[0-4])$' })),
    lng: Type.Optional(Type.String({ maxLength: 35 })),
  },
  { additionalProperties: false },
);
