import type { TestPlatform } from './platform.js';

/** The newest OTP the development outbox holds for a number. */
export async function latestOtp(app: TestPlatform, host: string, to: string): Promise<string> {
  const outbox = (await app.request(host, '/dev/outbox')).json<{ to: string; text: string }[]>();
  const message = outbox.find((m) => m.to === to);
  const code = message?.text.match(/\b(\d{6})\b/)?.[1];
  if (!code) throw new Error(`no OTP for ${to} in the outbox`);
  return code;
}

/** Signs a citizen in through the real OTP flow and returns the bearer token. */
export async function signIn(app: TestPlatform, host: string, mobile: string, e164: string, language?: string): Promise<string> {
  const headers: Record<string, string> = language ? { 'Accept-Language': language } : {};
  const generated = await app.request(host, '/api/v1/auth/otp', { method: 'POST', body: { mobile }, headers });
  if (generated.status !== 200) throw new Error(`generate: ${generated.status} ${generated.text}`);
  const otp = await latestOtp(app, host, e164);
  const confirmed = await app.request(host, '/api/v1/auth/otp/confirm', {
    method: 'POST',
    body: { txnId: generated.json().txnId, otp },
    headers,
  });
  if (confirmed.status !== 200) throw new Error(`confirm: ${confirmed.status} ${confirmed.text}`);
  return confirmed.json().token;
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
