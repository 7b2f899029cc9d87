/**
 * Phone numbers and identity-document numbers must never reach the logs. Known fields are
 * masked by name; any other string is scanned for long digit runs (a phone or ID number typed
 * with spaces or dashes too), which are replaced. Short numbers (ports, counts, years) survive.
 */
const SENSITIVE_KEYS = /^(to|phone|mobile|msisdn|documentNumber|idNumber|otp|text|password|token|authorization|cookie|secret)$/i;
const DIGIT_RUN = /\+?\d(?:[\s-]?\d){7,}/g;

export function redactString(value: string): string {
  return value.replace(DIGIT_RUN, '[redacted]');
}

export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactString(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    return { type: value.name, message: redactString(value.message), stack: value.stack && redactString(value.stack) };
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SENSITIVE_KEYS.test(key) && item != null ? '[redacted]' : redact(item, depth + 1);
  }
  return out;
}
