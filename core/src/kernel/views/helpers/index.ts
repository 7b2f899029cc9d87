import { asset } from './asset.js';
import { date } from './date.js';
import { eq } from './eq.js';
import { number } from './number.js';
import { t } from './t.js';

/** The only helpers a theme may use. A template calling anything else is refused at start. */
export const helpers = { asset, date, eq, number, t } as const;
