import type { HelperOptions } from 'handlebars';
import type { RenderData } from '../render-data.js';

/** `{{t "common:home.title" country=name}}`: the translation in the request's language. */
export function t(key: string, options: HelperOptions): string {
  const data = options.data as RenderData;
  return data.t(key, options.hash ?? {});
}
