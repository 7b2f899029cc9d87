/**
 * The `shc:/` QR text: a compact JWS written as digits so the QR can use numeric mode (about 20 %
 * denser than byte mode). Each JWS character `c` becomes two digits, `charCode(c) - 45`: `-` (45)
 * is the lowest character a compact JWS holds and `z` (122) the highest, so every pair is 00..77.
 */

export const SHC_PREFIX = 'shc:/';
const OFFSET = '-'.charCodeAt(0);
const HIGHEST_PAIR = 'z'.charCodeAt(0) - OFFSET;

/** Characters a compact JWS may contain: the base64url alphabet and the two dots. */
const JWS_CHARACTERS = /^[A-Za-z0-9_.-]*$/;

/** The digits for a compact JWS (without the `shc:/` prefix). */
export function jwsToDigits(jws: string): string {
  if (!JWS_CHARACTERS.test(jws)) throw new Error('a compact JWS holds only base64url characters and dots');
  let digits = '';
  for (let index = 0; index < jws.length; index++) {
    digits += String(jws.charCodeAt(index) - OFFSET).padStart(2, '0');
  }
  return digits;
}

/** The JWS back from the digits, or a sentence saying why they cannot be one. */
export function digitsToJws(digits: string): { jws: string } | { problem: string } {
  if (digits.length === 0) return { problem: 'no digits after shc:/' };
  if (!/^[0-9]+$/.test(digits)) return { problem: 'characters other than digits after shc:/' };
  if (digits.length % 2 !== 0) return { problem: `an odd number of digits (${digits.length}) after shc:/` };
  const characters: string[] = [];
  for (let index = 0; index < digits.length; index += 2) {
    const pair = Number(digits.slice(index, index + 2));
    if (pair > HIGHEST_PAIR)
      return { problem: `digit pair ${digits.slice(index, index + 2)} at position ${index} is above ${HIGHEST_PAIR}` };
    characters.push(String.fromCharCode(pair + OFFSET));
  }
  return { jws: characters.join('') };
}
