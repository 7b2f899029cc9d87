import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * Text in a PDF in any of the tenants' scripts. pdfkit shapes a run of text with fontkit (Indic
 * conjuncts, Arabic joining and right-to-left glyph order), but one run uses one font and there is
 * no bidirectional layout. So text is cut into runs by script, each in a Noto font that has it
 * (OFL, from the @fontsource packages: only the glyphs used are embedded), and the runs of a
 * right-to-left line are placed right to left, keeping left-to-right runs (numbers, Latin) whole.
 */

type FontName = 'latin' | 'latinExt' | 'cyrillic' | 'devanagari' | 'arabic';

const FILES: Record<FontName, string> = {
  latin: '@fontsource/noto-sans/files/noto-sans-latin-WEIGHT-normal.woff',
  latinExt: '@fontsource/noto-sans/files/noto-sans-latin-ext-WEIGHT-normal.woff',
  cyrillic: '@fontsource/noto-sans/files/noto-sans-cyrillic-WEIGHT-normal.woff',
  devanagari: '@fontsource/noto-sans/files/noto-sans-devanagari-WEIGHT-normal.woff',
  arabic: '@fontsource/noto-naskh-arabic/files/noto-naskh-arabic-arabic-WEIGHT-normal.woff',
};

/** The registered name of a script's font: `latin` (regular) or `latin-bold`. */
const fontName = (font: FontName, bold = false): string => (bold ? `${font}-bold` : font);

/** Font files are the same for every tenant: read once. */
let fontData: Map<string, Buffer> | undefined;
function fonts(): Map<string, Buffer> {
  if (!fontData) {
    const require = createRequire(import.meta.url);
    fontData = new Map(
      Object.entries(FILES).flatMap(([name, file]) =>
        [false, true].map((bold) => [
          fontName(name as FontName, bold),
          readFileSync(require.resolve(file.replace('WEIGHT', bold ? '700' : '400'))),
        ]),
      ),
    );
  }
  return fontData;
}

/** What the drawing needs of a pdfkit document (kept narrow so this file is easy to test). */
export interface TextSurface {
  registerFont(name: string, src: Buffer): unknown;
  font(name: string): TextSurface;
  fontSize(size: number): TextSurface;
  fillColor(color: string): TextSurface;
  widthOfString(text: string): number;
  text(text: string, x: number, y: number, options: { lineBreak: false }): TextSurface;
  markContent(tag: 'Span', options: { actual: string }): TextSurface;
  endMarkedContent(): TextSurface;
}

export function registerFonts(doc: TextSurface): void {
  for (const [name, data] of fonts()) doc.registerFont(name, data);
}

function fontOf(point: number): FontName | undefined {
  if ((point >= 0x0600 && point <= 0x06ff) || (point >= 0x0750 && point <= 0x077f) || (point >= 0xfb50 && point <= 0xfeff)) return 'arabic';
  if ((point >= 0x0900 && point <= 0x097f) || (point >= 0xa8e0 && point <= 0xa8ff)) return 'devanagari';
  if (point >= 0x0400 && point <= 0x052f) return 'cyrillic';
  if ((point >= 0x0100 && point <= 0x024f) || (point >= 0x1e00 && point <= 0x1eff) || (point >= 0x20a0 && point <= 0x20cf))
    return 'latinExt';
  if (point === 0x20 || point === 0xa0) return undefined; // a space belongs to the run it is in
  return 'latin';
}

export interface Run {
  text: string;
  font: FontName;
  /** Arabic-Indic digits: Arabic glyphs, but numbers read left to right. */
  digit?: boolean;
}

const ARABIC_DIGIT = /[\u0660-\u0669\u06f0-\u06f9]/;

/**
 * Text cut into runs of one font each, in logical (typed) order. Arabic words are runs of their
 * own with the spaces between them Latin, so that the words can be placed right to left; each
 * Arabic-Indic digit is a run of its own, so that the shaper does not turn a number around.
 */
export function runsOf(value: string): Run[] {
  const runs: Run[] = [];
  // Narrow no-break spaces (from Intl) are not in every subset: an ordinary no-break space is.
  for (const char of value.replace(/\u202f/g, '\u00a0')) {
    const font = fontOf(char.codePointAt(0)!);
    const last = runs.at(-1);
    if (font === 'arabic' && ARABIC_DIGIT.test(char)) {
      runs.push({ text: char, font, digit: true });
      continue;
    }
    // A space between Devanagari words stays in their run (the font has it); elsewhere it is Latin.
    const wanted = font ?? (last?.font === 'devanagari' ? 'devanagari' : 'latin');
    if (last && last.font === wanted && !last.digit) last.text += char;
    else runs.push({ text: char, font: wanted });
  }
  // Spaces after a Devanagari word end its run: they are not part of the word's text.
  return runs.flatMap((run) => {
    const [, word, spaces] = /^(.*?)([ \u00a0]*)$/su.exec(run.text)!;
    return run.font === 'latin' || spaces === '' || word === ''
      ? [run]
      : [
          { ...run, text: word },
          { text: spaces, font: 'latin' as const },
        ];
  });
}

export const isRtl = (value: string): boolean => {
  for (const char of value) {
    const font = fontOf(char.codePointAt(0)!);
    if (font === 'arabic') return true;
    if (font && /\p{L}/u.test(char)) return false;
  }
  return false;
};

/** Runs in the order they are drawn from left to right. */
export function visualOrder(runs: Run[], rtl: boolean): Run[] {
  if (!rtl) return runs;
  // Spaces and punctuation at the edges of a left-to-right run are neutral: cut off, placed apart.
  const pieces = runs.flatMap((run) => {
    if (run.font === 'arabic') return [run];
    const [, before, middle, after] = new RegExp(`^(${NEUTRAL}*)(.*?)(${NEUTRAL}*)$`, 'su').exec(run.text)!;
    return [before, middle, after].filter(Boolean).map((text) => ({ ...run, text }));
  });
  const neutral = new RegExp(`^${NEUTRAL}+$`, 'u');
  const direction = (run: Run | undefined) =>
    run === undefined ? 'R' : run.font === 'arabic' && !run.digit ? 'R' : neutral.test(run.text) ? 'N' : 'L';
  const strong = (from: number, step: number) => {
    for (let at = from; at >= 0 && at < pieces.length; at += step) if (direction(pieces[at]) !== 'N') return direction(pieces[at]);
    return 'R';
  };
  // Right to left, except that neighbouring left-to-right runs (and the neutrals between them) keep
  // their order; a neutral between two directions takes the line's direction, right to left, and
  // is then turned around with its brackets mirrored (the "(" before an Arabic word shows as ")").
  const groups: { ltr: boolean; runs: Run[] }[] = [];
  pieces.forEach((run, index) => {
    const kind = direction(run);
    const ltr = kind === 'L' || (kind === 'N' && strong(index - 1, -1) === 'L' && strong(index + 1, 1) === 'L');
    const last = groups.at(-1);
    const placed =
      kind === 'N' && !ltr
        ? {
            ...run,
            text: [...run.text]
              .reverse()
              .map((c) => MIRRORED[c] ?? c)
              .join(''),
          }
        : run;
    if (ltr && last?.ltr) last.runs.push(placed);
    else groups.push({ ltr, runs: [placed] });
  });
  return groups.reverse().flatMap((group) => group.runs);
}

/** Characters without a direction of their own: they take their neighbours' (or the line's). */
const NEUTRAL = '[\\s·.,:;!?()\\[\\]«»\\-\u2013\u2014]';
const MIRRORED: Record<string, string> = { '(': ')', ')': '(', '[': ']', ']': '[', '«': '»', '»': '«' };

export interface LineStyle {
  size: number;
  color?: string;
  /** Right-aligned when the text is right-to-left (or `align: 'end'` in a right-to-left page). */
  rtl: boolean;
  /** The bold weight of each script's font (only glyphs used are embedded, so it costs little). */
  bold?: boolean;
  /** Centred in the box instead of starting at its edge. */
  center?: boolean;
}

function widthOf(doc: TextSurface, runs: Run[], size: number, bold = false): number {
  return runs.reduce((sum, run) => sum + doc.font(fontName(run.font, bold)).fontSize(size).widthOfString(run.text), 0);
}

/**
 * Draws text in a box `width` wide starting at `x`, wrapping at spaces, and returns the y below
 * it. Lines start at the box's right edge in a right-to-left page.
 */
export function drawText(doc: TextSurface, value: string, x: number, y: number, width: number, style: LineStyle): number {
  const lineHeight = style.size * 1.45;
  // Like `dir="auto"`: the text's first letter decides its order (a Latin-only value in an
  // Arabic page stays as typed, brackets and all); the page decides where it is aligned.
  const rtlText = isRtl(value);
  const rtl = style.rtl || rtlText;
  const lines: string[] = [];
  for (const word of value.split(' ')) {
    const last = lines.at(-1);
    if (last !== undefined && widthOf(doc, runsOf(`${last} ${word}`), style.size, style.bold) <= width)
      lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  for (const line of lines) {
    const runs = visualOrder(runsOf(line), rtlText);
    const lineWidth = widthOf(doc, runs, style.size, style.bold);
    let at = style.center ? x + (width - lineWidth) / 2 : rtl ? x + width - lineWidth : x;
    for (const run of runs) {
      doc
        .font(fontName(run.font, style.bold))
        .fontSize(style.size)
        .fillColor(style.color ?? '#1a1a1a');
      // Shaped glyphs are in visual order (a Devanagari vowel sign before its consonant, Arabic
      // reversed): the run's own text travels with them, so copying and extraction get real words.
      const shaped = (run.font === 'devanagari' || run.font === 'arabic') && !run.digit;
      if (shaped) doc.markContent('Span', { actual: run.text });
      doc.text(run.text, at, y, { lineBreak: false });
      if (shaped) doc.endMarkedContent();
      at += doc.widthOfString(run.text);
    }
    y += lineHeight;
  }
  return y;
}
