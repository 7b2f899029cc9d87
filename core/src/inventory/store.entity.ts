import { defineEntity, p } from '@mikro-orm/core';

export const STORE_TIERS = ['national', 'regional', 'district'] as const;
export type StoreTier = (typeof STORE_TIERS)[number];

/**
 * A cold store of the supply chain (national, state or regional, district). Not a facility: it
 * vaccinates nobody, has no opening hours or fees and never appears in public searches. It lies
 * in an area (none for the national store), which is what district officers' scopes reach.
 */
export const StoreSchema = defineEntity({
  name: 'Store',
  tableName: 'store',
  properties: {
    id: p.integer().primary(),
    name: p.string().length(200),
    tier: p.string().length(10).$type<StoreTier>(),
    areaLevel: p.string().length(32).nullable(),
    areaId: p.integer().nullable(),
    active: p.boolean().default(true),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export class Store extends StoreSchema.class {}
StoreSchema.setClass(Store);
