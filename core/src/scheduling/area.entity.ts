import { defineEntity, p } from '@mikro-orm/core';

/**
 * An administrative area of the tenant's country, at one of the levels its file names (India:
 * state, district, block). The primary key is (level, id): ids are the country's own (Co-WIN's
 * state and district ids, INEGI codes) and are unique only within a level, because Co-WIN numbers
 * states and districts in separate spaces (state 1 and district 1 both exist). The parent is the
 * area one level up, held as its (level, id); the table has a composite foreign key on it and an
 * index for listing children.
 */
export const AreaSchema = defineEntity({
  name: 'Area',
  tableName: 'area',
  properties: {
    level: p.string().length(32).primary(),
    id: p.integer().primary().autoincrement(false),
    parentLevel: p.string().length(32).nullable(),
    parentId: p.integer().nullable(),
    /** The official code where there is one: ISO 3166-2 (IN-MH, AE-DU), INEGI (09, 09015). */
    code: p.string().length(32).nullable(),
    /** The name in the tenant's default language. */
    name: p.string().length(200),
    /** Names in other languages, by language code; the default name is used for the rest. */
    names: p.json<Record<string, string>>().nullable(),
  },
});
export class Area extends AreaSchema.class {}
AreaSchema.setClass(Area);
