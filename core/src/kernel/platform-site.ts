import type { i18n } from 'i18next';
import { mergeResources, readLocaleTree } from './i18n/resources.js';
import { createTenantI18n } from './i18n/tenant-i18n.js';
import type { PluginRegistry } from './plugins/plugin-registry.js';
import type { Site } from './site.js';
import type { LanguageInfo } from './tenancy/tenant.js';
import { themeChain } from './tenancy/tenant.js';
import type { RenderData } from './views/render-data.js';
import { ThemeRenderer } from './views/theme-renderer.js';

/**
 * The platform's own pages (the tenant list on localhost, the page for an unknown host) in the
 * default theme, in every installed language. It never holds tenant data.
 */
export class PlatformSite implements Site {
  readonly theme: ThemeRenderer;
  readonly i18n: i18n;
  readonly languages = new Map<string, LanguageInfo>();
  readonly defaultLanguage = 'en';

  constructor(registry: PluginRegistry, root: string) {
    const packs = registry.ofKind('language');
    for (const pack of packs) {
      const { id, nativeName, direction } = pack.manifest;
      this.languages.set(id, { code: id, nativeName: String(nativeName ?? id), dir: direction === 'rtl' ? 'rtl' : 'ltr' });
    }
    const codes = [...this.languages.keys()];
    const chain = themeChain('default', registry);
    this.theme = new ThemeRenderer(chain, {}, root);
    this.i18n = createTenantI18n({
      defaultLanguage: this.defaultLanguage,
      enabled: codes,
      resources: mergeResources(
        ...packs.map((pack) => readLocaleTree(`${pack.directory}/..`, [pack.manifest.id], 'locales')),
        ...chain.map((layer) => readLocaleTree(`${layer.directory}/locales`, codes, `themes/${layer.id}/locales`)),
      ),
    });
  }

  renderData(lng: string): RenderData {
    const t = this.i18n.getFixedT(lng);
    return {
      lng,
      locale: lng,
      dir: this.languages.get(lng)?.dir ?? 'ltr',
      timeZone: 'UTC',
      currency: 'USD',
      siteName: String(t('common:platform.name')),
      languages: [...this.languages.values()].map((language) => ({ ...language, current: language.code === lng })),
      t: (key, options) => String(t(key, options as never)),
      assetUrl: (name) => this.theme.assetUrl(name),
    };
  }
}
