/**
 * How many SMS a text needs: the rule every gateway kit checks `SendResult.parts` against.
 *
 * @packageDocumentation
 */

/** The two encodings an SMS can carry any text in. */
export type SmsEncoding = 'GSM-7' | 'UCS-2';

/** The result of {@link smsParts}. */
export interface SmsPartCount {
  /** `GSM-7` when every character is in the GSM 03.38 basic set or extension table, else `UCS-2`. */
  encoding: SmsEncoding;
  /** Septets (GSM-7; an extension character counts two) or UTF-16 code units (UCS-2; an emoji outside the BMP counts two). */
  units: number;
  /** SMS needed: 1 up to 160 septets or 70 units, else concatenated parts of at most 153 septets or 67 units. */
  parts: number;
}

/** GSM 03.38 basic character set (the escape code 0x1B excluded). */
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
/** GSM 03.38 extension table: each character is sent as escape + character, two septets. */
const GSM_EXTENSION = new Set('\f^{}\\[~]|€');
const GRAPHEMES = new Intl.Segmenter('und', { granularity: 'grapheme' });

/**
 * Counts the SMS parts a text needs. GSM-7 when every character allows it (160 septets in one SMS,
 * else parts of at most 153 septets, a part never ending inside a grapheme), UCS-2
 * otherwise (70 UTF-16 code units in one SMS, else parts of at most 67, a surrogate pair never
 * split, so an emoji always arrives whole). Pure; never throws on a string.
 *
 * @example
 * ```ts
 * smsParts('a'.repeat(161)); // { encoding: 'GSM-7', units: 161, parts: 2 }
 * smsParts('💉'.repeat(40)); // { encoding: 'UCS-2', units: 80, parts: 2 }
 * ```
 */
export function smsParts(text: string): SmsPartCount {
  const characters = [...String(text)];
  const gsm = characters.every((c) => GSM_BASIC.has(c) || GSM_EXTENSION.has(c));
  const septets = (cluster: string) => [...cluster].reduce((total, c) => total + (GSM_EXTENSION.has(c) ? 2 : 1), 0);
  const units = gsm ? septets(String(text)) : String(text).length;
  const [single, perPart] = gsm ? [160, 153] : [70, 67];
  // One SMS (an OTP, a notice): no need to know where the graphemes are, which is the costly part.
  if (units <= single) return { encoding: gsm ? 'GSM-7' : 'UCS-2', units, parts: 1 };
  // Parts break between graphemes (what people see as one character: a letter with its vowel
  // signs, an emoji, CR LF), as Twilio's segment calculator and the gateways count.
  const sizes = [...GRAPHEMES.segment(String(text))].map(({ segment }) => (gsm ? septets(segment) : segment.length));
  let parts = 1;
  let used = 0;
  for (const size of sizes) {
    if (used + size > perPart) {
      parts++;
      used = 0;
    }
    used += size;
  }
  return { encoding: gsm ? 'GSM-7' : 'UCS-2', units, parts };
}
