/** What every template sees as `@data` (and helpers as `options.data`) for one request. */
export interface RenderData {
  /** Language code, e.g. `hi`. */
  lng: string;
  /** BCP 47 locale for Intl: language + the tenant's country, e.g. `hi-IN` (Indian grouping). */
  locale: string;
  dir: 'ltr' | 'rtl';
  timeZone: string;
  currency: string;
  /** The site's name in this language, e.g. "India vaccination programme". */
  siteName: string;
  /** The site's languages, for the language switcher. */
  languages: { code: string; nativeName: string; dir: 'ltr' | 'rtl'; current: boolean }[];
  t: (key: string, options?: Record<string, unknown>) => string;
  assetUrl: (name: string) => string;
}
