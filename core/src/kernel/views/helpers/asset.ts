import type { HelperOptions } from 'handlebars';
import type { RenderData } from '../render-data.js';

/** `{{asset "site.css"}}`: the fingerprinted URL of a theme asset (country theme first). */
export function asset(name: string, options: HelperOptions): string {
  return (options.data as RenderData).assetUrl(name);
}
