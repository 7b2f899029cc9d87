import type { HelperOptions } from 'handlebars';
import { numberFormat } from '../../i18n/intl-cache.js';
import type { RenderData } from '../render-data.js';

/** `{{number value}}` or `{{number fee style="currency"}}`: digits and grouping of the locale. */
export function number(value: number | string, options: HelperOptions): string {
  const data = options.data as RenderData;
  const amount = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(amount)) return '';
  const currency = options.hash?.style === 'currency';
  return numberFormat(data.locale, currency ? { style: 'currency', currency: data.currency } : {}).format(amount);
}
