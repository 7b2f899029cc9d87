import { randomInt } from 'node:crypto';
import { generateCheckCharacter, isValid } from 'luhn-mod-n';

/** The characters a UVCI may hold before its `#`, the Luhn mod N alphabet of the EU DCC guidelines (N = 38). */
const UVCI_CHARACTERS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ/:';
/** Crockford's base 32 without I, L, O, U: nothing to misread when typed from paper. */
const OPAQUE_CHARACTERS = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const OPAQUE_LENGTH = 20;

/**
 * A new certificate id: a UVCI as the EU DCC guidelines (annex 2, option 3) write it, with the
 * issuing country, an opaque random part and a check character over everything before the `#`
 * (Luhn mod N), so a mistyped id is refused before any look-up:
 * `URN:UVCI:01:IN:TK7Q2M9X3B8R1T5WCD4F#K`. The same id is the DDCC `hcid`.
 */
export function newCertificateId(country: string): string {
  let opaque = 'TK';
  while (opaque.length < OPAQUE_LENGTH) opaque += OPAQUE_CHARACTERS[randomInt(OPAQUE_CHARACTERS.length)];
  const body = `URN:UVCI:01:${country.toUpperCase()}:${opaque}`;
  return `${body}#${generateCheckCharacter(body, UVCI_CHARACTERS)}`;
}

/** Whether an id has the shape of ours and its check character matches (no database needed). */
export function isCertificateId(value: string): boolean {
  const match = /^(URN:UVCI:01:[A-Z]{2}:[0-9A-Z]{8,40})#([0-9A-Z/:])$/.exec(value);
  return match !== null && isValid(`${match[1]}${match[2]}`, UVCI_CHARACTERS);
}
