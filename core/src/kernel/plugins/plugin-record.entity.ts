import { defineEntity, p } from '@mikro-orm/core';

/** A record a plugin keeps in its tenant's database through PluginStorage (outbox, receipts). */
export const PluginRecordSchema = defineEntity({
  name: 'PluginRecord',
  tableName: 'plugin_record',
  properties: {
    id: p.uuid().primary(),
    pluginId: p.string().length(64),
    collection: p.string().length(64),
    data: p.json<Record<string, unknown>>(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});

export class PluginRecord extends PluginRecordSchema.class {}
PluginRecordSchema.setClass(PluginRecord);
