import { Secret, TOTP } from 'otpauth';

/** Time-based one-time passwords (RFC 6238) as authenticator apps expect them: SHA1, 6 digits, 30 s. */
const ALGORITHM = 'SHA1';
const DIGITS = 6;
const PERIOD = 30;
/** One period either side, for clocks that drift a little. */
const WINDOW = 1;

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totpOf(secretBase32: string, issuer = '', label = 'Teeka'): TOTP {
  return new TOTP({ issuer, label, algorithm: ALGORITHM, digits: DIGITS, period: PERIOD, secret: Secret.fromBase32(secretBase32) });
}

/** The `otpauth://totp/...` URL an authenticator app reads (usually as a QR code). */
export function totpUrl(secretBase32: string, issuer: string, label: string): string {
  return totpOf(secretBase32, issuer, label).toString();
}

/**
 * The time step a code belongs to, if it is right now (within the window), else undefined. The
 * caller uses the step to refuse a code that was already used.
 */
export function totpStep(secretBase32: string, code: string, now = Date.now()): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const totp = totpOf(secretBase32);
  const delta = totp.validate({ token: code, timestamp: now, window: WINDOW });
  return delta === null ? undefined : totp.counter({ timestamp: now }) + delta;
}

/** How long a step stays acceptable, with the window: used codes are remembered this long. */
export const TOTP_REMEMBER_SECONDS = PERIOD * (2 * WINDOW + 2);
