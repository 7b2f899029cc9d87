import type { HelperOptions } from 'handlebars';
import { dateTimeFormat } from '../../i18n/intl-cache.js';
import type { RenderData } from '../render-data.js';

/**
 * `{{date value style="long"}}`: a date in the request's language, in the tenant's time zone
 * (a dose given at 00:30 in Delhi is dated in India, not in UTC).
 */
export function date(value: Date | string | number, options: HelperOptions): string {
  const data = options.data as RenderData;
  const when = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(when.getTime())) return '';
  const style = (options.hash?.style as 'full' | 'long' | 'medium' | 'short' | undefined) ?? 'long';
  const withTime = options.hash?.time === true;
  return dateTimeFormat(data.locale, {
    dateStyle: style,
    ...(withTime ? { timeStyle: 'short' } : {}),
    timeZone: data.timeZone,
  }).format(when);
}
