import { defineEntity, p } from '@mikro-orm/core';

export const FEE_TYPES = ['free', 'paid'] as const;
export type FeeType = (typeof FEE_TYPES)[number];

/**
 * A vaccination centre. The id comes from the seed file, never from a sequence: Co-WIN clients
 * know centres by their integer `center_id`, and the same centre must keep the same id in every
 * environment. The centre belongs to one administrative area, held as its (level, id) with a
 * composite foreign key to `area` (India: the district). Coordinates are WGS 84 degrees; fees are
 * decimal strings in the tenant's currency, by vaccine code, and only for paid centres.
 */
export const FacilitySchema = defineEntity({
  name: 'Facility',
  tableName: 'facility',
  properties: {
    id: p.integer().primary().autoincrement(false),
    /** The name in the tenant's default language. */
    name: p.string().length(200),
    /** Names in other languages, by language code; the default name is used for the rest. */
    names: p.json<Record<string, string>>().nullable(),
    address: p.string().length(400).nullable(),
    addresses: p.json<Record<string, string>>().nullable(),
    areaLevel: p.string().length(32),
    areaId: p.integer(),
    postalCode: p.string().length(16).nullable(),
    latitude: p.decimal('number').precision(8).scale(6),
    longitude: p.decimal('number').precision(9).scale(6),
    /** Opening hours, local time of the tenant, "HH:MM". */
    opensAt: p.string().length(5),
    closesAt: p.string().length(5),
    feeType: p.string().length(8).$type<FeeType>(),
    /** Vaccine code → amount, e.g. { "covishield": "780.00" }; null for free centres. */
    fees: p.json<Record<string, string>>().nullable(),
    active: p.boolean().default(true),
  },
});
export class Facility extends FacilitySchema.class {}
FacilitySchema.setClass(Facility);
