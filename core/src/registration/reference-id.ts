import { randomInt } from 'node:crypto';

/**
 * A beneficiary's 14-digit reference id, as Co-WIN issued them: drawn from a CSPRNG (never a
 * sequence), so knowing one id tells nothing about any other. The first digit is never 0 so the
 * id survives being read as a number.
 */
export function newReferenceId(): string {
  let id = String(randomInt(1, 10));
  for (let i = 0; i < 13; i++) id += String(randomInt(0, 10));
  return id;
}

export function isReferenceId(value: unknown): value is string {
  return typeof value === 'string' && /^[1-9]\d{13}$/.test(value);
}
