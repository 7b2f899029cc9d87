/** Types for luhn-mod-n (plain JavaScript, no bundled types): Luhn mod N check characters. */
declare module 'luhn-mod-n' {
  export function generateCheckCharacter(input: string, possibleCharacters: string): string;
  export function isValid(input: string, possibleCharacters: string): boolean;
}
