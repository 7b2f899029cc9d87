import i18next, { type i18n, type TFunction } from 'i18next';
import type { Resources } from './resources.js';

export type { TFunction };

export interface I18nOptions {
  defaultLanguage: string;
  enabled: string[];
  /** Per language, what to try before the default language. */
  fallback?: Record<string, string[]>;
  resources: Resources;
}

/** The chain i18next walks for a missing key: the language's own fallbacks, then the default. */
export function fallbackChain(lng: string, options: Pick<I18nOptions, 'defaultLanguage' | 'fallback'>): string[] {
  const chain = [...(options.fallback?.[lng] ?? []), options.defaultLanguage].filter((code) => code !== lng);
  return [...new Set(chain)];
}

/**
 * One i18next instance per tenant, created (never cloned) so tenants share no store.
 * Handlebars escapes output, so i18next must not escape a second time.
 */
export function createTenantI18n(options: I18nOptions): i18n {
  const instance = i18next.createInstance();
  const namespaces = [...new Set(Object.values(options.resources).flatMap((ns) => Object.keys(ns)))];
  void instance.init({
    initAsync: false,
    lng: options.defaultLanguage,
    supportedLngs: options.enabled,
    nonExplicitSupportedLngs: false,
    load: 'currentOnly',
    fallbackLng: (code: string) => fallbackChain(code, options),
    ns: namespaces,
    defaultNS: 'common',
    fallbackNS: false,
    resources: options.resources,
    returnEmptyString: false,
    returnNull: false,
    interpolation: { escapeValue: false },
    showSupportNotice: false,
  } as Parameters<typeof instance.init>[0]);
  return instance;
}
