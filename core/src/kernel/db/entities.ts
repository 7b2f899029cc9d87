import { PluginRecordSchema } from '../plugins/plugin-record.entity.js';

/** Every entity of every module; one tenant database holds them all. */
export const entities = [PluginRecordSchema];
