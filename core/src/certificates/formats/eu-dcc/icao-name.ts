import sanscriptModule from '@indic-transliteration/sanscript';
import anyAscii from 'any-ascii';

/**
 * A name as the EU DCC's `fnt`/`gnt` want it: ICAO Doc 9303 Part 3 (machine readable zone)
 * characters, A-Z with `<` between the parts, at most 80 characters.
 *
 * Scripts go to Latin by three steps, each the narrowest that does the job well:
 * - the Latin letters and Cyrillic letters for which ICAO 9303 prescribes a spelling (Ü -> UE,
 *   Ø -> OE, Я -> IA, Щ -> SHCH, ...);
 * - Brahmic scripts (Devanagari, Bengali, Gurmukhi, Gujarati, Odia, Tamil, Telugu, Kannada,
 *   Malayalam) through Sanscript's ITRANS, which writes the inherent vowel that per-letter tables
 *   drop (शर्मा is SHARMA, not SRMA). Where the language drops a word's final inherent vowel
 *   (Hindi, Marathi, Punjabi, Bengali, Gujarati, Odia), it is dropped (राहुल is RAHUL, not
 *   RAHULA), and the anusvara is written as the nasal it stands for (ਸਿੰਘ is SINGH);
 * - everything else (Arabic, Greek, Chinese, Latin diacritics, ...) through any-ascii.
 * Then ICAO's rules: upper case, spaces and hyphens become `<`, anything else is dropped.
 */
export function icaoName(name: string): string {
  let text = name.normalize('NFC');
  text = text.replace(ICAO_LETTERS, (char) => ICAO_SPELLING[char] ?? char);
  text = text.replace(BRAHMIC_RUN, brahmicToLatin);
  text = anyAscii(text).toUpperCase();
  const standard = text
    .replace(/[\s\-_,]+/g, '<')
    .replace(/[^A-Z<]/g, '')
    .replace(/<{2,}/g, '<')
    .replace(/^<|<$/g, '');
  return standard.slice(0, 80).replace(/<$/, '');
}

/** ICAO 9303 Part 3, section 6: the recommended transliterations that differ from plain diacritic folding. */
const ICAO_SPELLING: Record<string, string> = {
  Ä: 'AE',
  ä: 'ae',
  Å: 'AA',
  å: 'aa',
  Æ: 'AE',
  æ: 'ae',
  Ö: 'OE',
  ö: 'oe',
  Ø: 'OE',
  ø: 'oe',
  Œ: 'OE',
  œ: 'oe',
  Ü: 'UE',
  ü: 'ue',
  ß: 'ss',
  ẞ: 'SS',
  Þ: 'TH',
  þ: 'th',
  Ĳ: 'IJ',
  ĳ: 'ij',
  Ð: 'D',
  ð: 'd',
  Й: 'I',
  й: 'i',
  Ё: 'E',
  ё: 'e',
  Є: 'IE',
  є: 'ie',
  Ї: 'I',
  ї: 'i',
  Ж: 'ZH',
  ж: 'zh',
  Х: 'KH',
  х: 'kh',
  Ц: 'TS',
  ц: 'ts',
  Ч: 'CH',
  ч: 'ch',
  Ш: 'SH',
  ш: 'sh',
  Щ: 'SHCH',
  щ: 'shch',
  Ъ: 'IE',
  ъ: 'ie',
  Ы: 'Y',
  ы: 'y',
  Ь: '',
  ь: '',
  Э: 'E',
  э: 'e',
  Ю: 'IU',
  ю: 'iu',
  Я: 'IA',
  я: 'ia',
};
const ICAO_LETTERS = new RegExp(`[${Object.keys(ICAO_SPELLING).join('')}]`, 'gu');

type SanscriptApi = { t(data: string, from: string, to: string): string };
// A CommonJS module whose types declare a default export: under nodenext it arrives one level deep.
const Sanscript: SanscriptApi =
  (sanscriptModule as unknown as { default?: SanscriptApi }).default ?? (sanscriptModule as unknown as SanscriptApi);

/** Unicode's Indic blocks share one layout (from ISCII): the same offsets mean the same letters. */
const BRAHMIC: { start: number; scheme: string; dropsFinalVowel: boolean }[] = [
  { start: 0x0900, scheme: 'devanagari', dropsFinalVowel: true },
  { start: 0x0980, scheme: 'bengali', dropsFinalVowel: true },
  { start: 0x0a00, scheme: 'gurmukhi', dropsFinalVowel: true },
  { start: 0x0a80, scheme: 'gujarati', dropsFinalVowel: true },
  { start: 0x0b00, scheme: 'oriya', dropsFinalVowel: true },
  { start: 0x0b80, scheme: 'tamil', dropsFinalVowel: false },
  { start: 0x0c00, scheme: 'telugu', dropsFinalVowel: false },
  { start: 0x0c80, scheme: 'kannada', dropsFinalVowel: false },
  { start: 0x0d00, scheme: 'malayalam', dropsFinalVowel: false },
];
const BRAHMIC_RUN = /[\u0900-\u0d7f]+/gu;
const ANUSVARA = 0x02;
/** Gurmukhi writes the nasal with a tippi as well as a bindi. */
const TIPPI = 0x70;
const NUKTA = 0x3c;
const VIRAMA = 0x4d;
const NA = 0x28;
const MA = 0x2e;
/** Pa, pha, ba, bha, ma: before these the anusvara is an m. */
const LABIALS = new Set([0x2a, 0x2b, 0x2c, 0x2d, 0x2e]);
const isConsonant = (offset: number) => (offset >= 0x15 && offset <= 0x39) || (offset >= 0x58 && offset <= 0x5f);

function brahmicToLatin(run: string): string {
  const block = BRAHMIC.find((b) => {
    const code = run.codePointAt(0)!;
    return code >= b.start && code < b.start + 0x80;
  });
  if (!block) return run;
  const offsets = [...run].map((char) => char.codePointAt(0)! - block.start);
  const letters: number[] = [];
  offsets.forEach((offset, i) => {
    if (offset < 0 || offset >= 0x80) {
      letters.push(offset);
      return;
    }
    if ((offset === ANUSVARA || (block.scheme === 'gurmukhi' && offset === TIPPI)) && block.dropsFinalVowel) {
      const next = offsets.slice(i + 1).find((o) => o !== NUKTA);
      if (next !== undefined && isConsonant(next)) {
        letters.push(LABIALS.has(next) ? MA : NA, VIRAMA);
        return;
      }
    }
    letters.push(offset);
  });
  // A consonant that ends the run with no vowel sign after it: its inherent vowel goes silent.
  let last = letters.length - 1;
  while (last >= 0 && letters[last] === NUKTA) last--;
  if (block.dropsFinalVowel && last >= 0 && isConsonant(letters[last]!)) letters.push(VIRAMA);
  const native = String.fromCodePoint(...letters.map((offset) => block.start + offset));
  // ITRANS marks long vowels and retroflexes with capitals and ~ ^ . : all fold to plain letters.
  return Sanscript.t(native, block.scheme, 'itrans').toLowerCase();
}
