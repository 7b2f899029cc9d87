import type { i18n } from 'i18next';
import type { LanguageInfo } from './tenancy/tenant.js';
import type { RenderData } from './views/render-data.js';
import type { ThemeRenderer } from './views/theme-renderer.js';

/** What can render a page: a tenant, or the platform's own pages (tenant list, unknown host). */
export interface Site {
  readonly theme: ThemeRenderer;
  readonly i18n: i18n;
  readonly languages: Map<string, LanguageInfo>;
  readonly defaultLanguage: string;
  renderData(lng: string): RenderData;
}
