import { Type } from '@sinclair/typebox';
import { LOCATION_PATTERN, READ_LOCATION_PATTERN } from './locations.js';
import { WASTAGE_REASONS } from './stock-service.js';
import { STORE_TIERS } from './store.entity.js';

/** Request bodies and queries of the inventory API (plain JSON Schema through TypeBox). */
const IsoDate = '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$';
const Uuid = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
const Area = '^[a-z][a-z-]{0,31}:(0|[1-9][0-9]{0,8})$';
const Location = Type.String({ pattern: LOCATION_PATTERN });
const StockLocation = Type.String({ pattern: '^(facility|store):(0|[1-9][0-9]{0,8})$' });
const Doses = Type.Integer({ minimum: 1, maximum: 10_000_000 });
const Reference = Type.String({ minLength: 1, maxLength: 100 });
const Text = Type.String({ minLength: 1, maxLength: 200 });
const strict = { additionalProperties: false } as const;

export const NewStore = Type.Object(
  { name: Text, tier: Type.Union(STORE_TIERS.map((tier) => Type.Literal(tier))), area: Type.Optional(Type.String({ pattern: Area })) },
  strict,
);

export const NewBatch = Type.Object(
  {
    vaccine: Type.String({ minLength: 1, maxLength: 40 }),
    lotNumber: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9./-]{0,39}$' }),
    manufacturer: Type.Optional(Text),
    expiresOn: Type.String({ pattern: IsoDate }),
    dosesPerVial: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  },
  strict,
);

export const BatchQuery = Type.Object({ vaccine: Type.Optional(Type.String({ maxLength: 40 })) }, strict);
export const Recall = Type.Object({ reason: Text }, strict);

export const Receipt = Type.Object(
  { location: StockLocation, batchId: Type.String({ pattern: Uuid }), doses: Doses, reference: Type.Optional(Reference) },
  strict,
);

export const Dispatch = Type.Object(
  { from: StockLocation, to: StockLocation, batchId: Type.String({ pattern: Uuid }), doses: Doses, reference: Type.Optional(Reference) },
  strict,
);

export const TransferReceipt = Type.Object(
  { doses: Type.Integer({ minimum: 0, maximum: 10_000_000 }), reason: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })) },
  strict,
);

export const SessionStock = Type.Object(
  { sessionId: Type.String({ pattern: Uuid }), batchId: Type.String({ pattern: Uuid }), doses: Doses },
  strict,
);

export const NewAdministration = Type.Object(
  {
    facilityId: Type.Integer({ minimum: 0, maximum: 2147483647 }),
    sessionId: Type.Optional(Type.String({ pattern: Uuid })),
    batchId: Type.String({ pattern: Uuid }),
    doses: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    reference: Reference,
  },
  strict,
);

const Reason = Type.Union(WASTAGE_REASONS.map((reason) => Type.Literal(reason)));

export const Wastage = Type.Object({ location: Location, batchId: Type.String({ pattern: Uuid }), doses: Doses, reason: Reason }, strict);

export const Adjustment = Type.Object(
  {
    location: Location,
    batchId: Type.String({ pattern: Uuid }),
    counted: Type.Integer({ minimum: 0, maximum: 10_000_000 }),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
  },
  strict,
);

export const VialOpening = Type.Object({ location: Location, batchId: Type.String({ pattern: Uuid }) }, strict);
export const VialDiscard = Type.Object({ reason: Type.Optional(Reason) }, strict);

export const LocationQuery = Type.Object(
  { location: Type.String({ pattern: READ_LOCATION_PATTERN }), batchId: Type.Optional(Type.String({ pattern: Uuid })) },
  strict,
);

export const CoverageQuery = Type.Object(
  {
    area: Type.Optional(Type.String({ pattern: Area })),
    facility: Type.Optional(Type.String({ pattern: '^(0|[1-9][0-9]{0,8})$' })),
    from: Type.Optional(Type.String({ pattern: IsoDate })),
    to: Type.Optional(Type.String({ pattern: IsoDate })),
    days: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,2}$' })),
    withinDays: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,2}$' })),
  },
  strict,
);

export const DateRange = Type.Object({ from: Type.String({ pattern: IsoDate }), to: Type.String({ pattern: IsoDate }) }, strict);
