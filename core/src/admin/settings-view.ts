import { type AppContext, tenantScope } from '../kernel/http/state.js';
import type { PluginUse } from '../kernel/tenancy/tenant-config.js';

/**
 * The tenant's settings as the settings page shows them, read-only. Secrets are never shown: a
 * plugin's `secrets` and the tenant's `secrets` only ever name environment variables, and even
 * those stay off the page; a config key that looks like a secret is left out as well.
 */
const SECRET_LOOKING = /secret|password|passwd|token|api[-_]?key|private|credential|auth/i;

export interface SettingRow {
  name: string;
  value: string;
}

function flatten(prefix: string, value: unknown, rows: SettingRow[]): SettingRow[] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) {
      if (SECRET_LOOKING.test(key)) continue;
      flatten(prefix ? `${prefix}.${key}` : key, inner, rows);
    }
  } else {
    rows.push({ name: prefix, value: Array.isArray(value) ? value.map(String).join(', ') : String(value) });
  }
  return rows;
}

function plugin(kind: string, use: PluginUse) {
  return { kind, id: use.id, config: flatten('', use.config ?? {}, []) };
}

export function settingsView(ctx: AppContext) {
  const { config } = tenantScope(ctx).tenant;
  const { t } = ctx.state;
  const display = new Intl.DisplayNames([ctx.state.lng], { type: 'language' });
  return {
    general: [
      { name: t('admin:settings.country'), value: config.country },
      {
        name: t('admin:settings.languages'),
        value: config.languages.enabled.map((lng) => `${display.of(lng) ?? lng} (${lng})`).join(', '),
      },
      { name: t('admin:settings.defaultLanguage'), value: config.languages.default },
      { name: t('admin:settings.theme'), value: config.theme.name },
      { name: t('admin:settings.timeZone'), value: config.timeZone },
      { name: t('admin:settings.currency'), value: config.currency },
      { name: t('admin:settings.areaLevels'), value: config.areas.levels.join(' › ') },
      { name: t('admin:settings.certificateFormats'), value: config.certificates.formats.join(', ') },
    ],
    plugins: [
      ...config.plugins.idVerifiers.map((use) => plugin(t('admin:settings.idPlugin'), use)),
      plugin(t('admin:settings.smsPlugin'), config.plugins.sms),
      ...(config.plugins.smsFallback ? [plugin(t('admin:settings.smsFallback'), config.plugins.smsFallback)] : []),
    ],
    limits: flatten('', config.limits, []),
    scheduling: flatten('', config.scheduling, []),
    inventory: flatten('', config.inventory, []),
    vaccines: config.vaccines.map((v) => ({ code: v.code, name: v.name, doses: v.doses })),
  };
}
