/**
 * How a text becomes the short_message of one or more submit_sm PDUs: the alphabet (GSM 03.38
 * 7-bit or UCS-2) and, for long texts, the split into concatenated parts with a User Data Header.
 * Pure functions, no I/O.
 */

export type SmsEncoding = 'GSM-7' | 'UCS-2';

/** SMPP data_coding for each alphabet: 0 is the SMSC default alphabet (GSM 03.38), 8 is UCS-2. */
export const DATA_CODING: Readonly<Record<SmsEncoding, number>> = Object.freeze({ 'GSM-7': 0x00, 'UCS-2': 0x08 });

/** Septets in one SMS and in one part of a concatenated SMS (the UDH takes the rest). */
export const GSM_SINGLE_SEPTETS = 160;
export const GSM_PART_SEPTETS = 153;
/** UTF-16 code units in one SMS and in one part of a concatenated SMS. */
export const UCS2_SINGLE_UNITS = 70;
export const UCS2_PART_UNITS = 67;
/** The 8-bit reference and counters of the concatenation UDH allow at most 255 parts. */
export const MAX_PARTS = 255;

/** GSM 03.38 basic character set: a character's position is its septet. 0x1B is the escape to the extension table, not a character. */
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const ESCAPE = 0x1b;

const BASIC = new Map<string, number>();
for (let septet = 0; septet < GSM_BASIC.length; septet++) {
  if (septet !== ESCAPE) BASIC.set(GSM_BASIC[septet]!, septet);
}

/** GSM 03.38 extension table: these take two septets, the escape and this one. */
const EXTENSION = new Map<string, number>([
  ['\f', 0x0a],
  ['^', 0x14],
  ['{', 0x28],
  ['}', 0x29],
  ['\\', 0x2f],
  ['[', 0x3c],
  ['~', 0x3d],
  [']', 0x3e],
  ['|', 0x40],
  ['€', 0x65],
]);

/** The septets of one character in the GSM 03.38 default alphabet, or undefined when it has none. */
function gsmSeptets(character: string): number[] | undefined {
  const basic = BASIC.get(character);
  if (basic !== undefined) return [basic];
  const extension = EXTENSION.get(character);
  return extension === undefined ? undefined : [ESCAPE, extension];
}

/** True when every character of `text` is in the GSM 03.38 basic set or its extension table. */
export function isGsm7(text: string): boolean {
  for (const character of text) if (gsmSeptets(character) === undefined) return false;
  return true;
}

export interface MessagePlan {
  encoding: SmsEncoding;
  dataCoding: number;
  /** The encoded text of each part, without UDH: unpacked septets (one per octet) or UTF-16BE. */
  segments: Buffer[];
}

/**
 * Encodes a text and splits it into parts. GSM-7 when every character allows it (160 septets in
 * one SMS, else parts of at most 153; an extension character is never split from its escape),
 * UCS-2 otherwise (70 code units in one SMS, else parts of at most 67, never splitting a UTF-16
 * surrogate pair, so an emoji always arrives whole in one part).
 */
export function planMessage(text: string): MessagePlan {
  if (isGsm7(text)) {
    const characters = [...text].map((character) => gsmSeptets(character)!);
    const total = characters.reduce((sum, septets) => sum + septets.length, 0);
    if (total <= GSM_SINGLE_SEPTETS) {
      return { encoding: 'GSM-7', dataCoding: DATA_CODING['GSM-7'], segments: [Buffer.from(characters.flat())] };
    }
    const segments: Buffer[] = [];
    let current: number[] = [];
    for (const septets of characters) {
      if (current.length + septets.length > GSM_PART_SEPTETS) {
        segments.push(Buffer.from(current));
        current = [];
      }
      current.push(...septets);
    }
    if (current.length > 0) segments.push(Buffer.from(current));
    return { encoding: 'GSM-7', dataCoding: DATA_CODING['GSM-7'], segments };
  }

  if (text.length <= UCS2_SINGLE_UNITS) {
    return { encoding: 'UCS-2', dataCoding: DATA_CODING['UCS-2'], segments: [utf16be(text)] };
  }
  const segments: Buffer[] = [];
  for (let start = 0; start < text.length; ) {
    let end = Math.min(start + UCS2_PART_UNITS, text.length);
    // A high surrogate at the end of the part would leave its low half in the next one.
    if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1)) && isLowSurrogate(text.charCodeAt(end))) end -= 1;
    segments.push(utf16be(text.slice(start, end)));
    start = end;
  }
  return { encoding: 'UCS-2', dataCoding: DATA_CODING['UCS-2'], segments };
}

function utf16be(text: string): Buffer {
  return Buffer.from(text, 'utf16le').swap16();
}

const isHighSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
const isLowSurrogate = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;

/**
 * The User Data Header of one part of a concatenated message: information element 0x00
 * (concatenated short messages, 8-bit reference), the same reference for every part, the number of
 * parts and this part's sequence number (from 1).
 */
export function concatenationUdh(reference: number, total: number, sequence: number): Buffer {
  return Buffer.from([0x05, 0x00, 0x03, reference & 0xff, total, sequence]);
}

/**
 * The short_message of each submit_sm: the segment alone for a one-part message, the UDH then the
 * segment for each part of a longer one (sent with the UDH indicator, esm_class 0x40).
 */
export function shortMessages(plan: MessagePlan, reference: number): Buffer[] {
  const total = plan.segments.length;
  if (total === 1) return [plan.segments[0]!];
  return plan.segments.map((segment, index) => Buffer.concat([concatenationUdh(reference, total, index + 1), segment]));
}
