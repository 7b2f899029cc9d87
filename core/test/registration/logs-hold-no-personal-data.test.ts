import test from 'ava';
import { stdnum } from 'stdnum';
import { bearer, latestOtp } from '../support/citizen.js';
import { startTestPlatform } from '../support/platform.js';

function aadhaar(body: string): string {
  for (let digit = 0; digit <= 9; digit++) if (stdnum.IN.aadhaar.validate(`${body}${digit}`).isValid) return `${body}${digit}`;
  throw new Error('no check digit');
}

test('a whole sign-in and registration flow, logged at debug level, logs no phone or document number', async (t) => {
  const app = await startTestPlatform({ logLevel: 'debug' });
  const mobile = '9876501234';
  const document = aadhaar('29876543210');
  const badDocument = `${document.slice(0, 11)}${(Number(document.at(-1)) + 1) % 10}`;
  let otp = '';
  try {
    const host = 'in.localhost';
    const generated = await app.request(host, `/api/v1/auth/otp?mobile=${mobile}`, {
      method: 'POST',
      body: { mobile: `+91 ${mobile}` },
      headers: { 'Accept-Language': 'hi' },
    });
    otp = await latestOtp(app, host, `+91${mobile}`);
    await app.request(host, '/api/v1/auth/otp/confirm', {
      method: 'POST',
      body: { txnId: generated.json().txnId, otp: otp === '000000' ? '111111' : '000000' },
    });
    const token = (
      await app.request(host, '/api/v1/auth/otp/confirm', { method: 'POST', body: { txnId: generated.json().txnId, otp } })
    ).json().token;
    const person = { name: 'Ravi', gender: 'M', birthYear: 1980, consentVersion: '1' };
    await app.request(host, '/api/v1/beneficiaries', {
      method: 'POST',
      headers: bearer(token),
      body: { ...person, document: { type: 'aadhaar', number: badDocument } },
    });
    const created = await app.request(host, '/api/v1/beneficiaries', {
      method: 'POST',
      headers: bearer(token),
      body: { ...person, document: { type: 'aadhaar', number: document } },
    });
    t.is(created.status, 201);
    await app.request(host, '/api/v1/beneficiaries', {
      method: 'POST',
      headers: bearer(token),
      body: { ...person, document: { type: 'aadhaar', number: document } },
    });
    await app.request(host, `/api/v1/beneficiaries/${created.json().referenceId}`, {
      method: 'PATCH',
      headers: bearer(token),
      body: { document: { type: 'aadhaar', number: document } },
    });
    await app.request(host, '/api/v1/auth/sign-out', { method: 'POST', headers: bearer(token) });
  } finally {
    await app.stop();
  }
  const output = app.logs.join('\n');
  t.true(app.logs.length > 10, 'the flow was logged');
  t.true(
    app.logs.some((line) => line.includes('"level":"debug"')),
    'debug lines were captured',
  );
  t.true(app.logs.some((line) => line.includes('otp confirmed')));
  for (const secret of [mobile, mobile.slice(0, 5), document, document.slice(0, 8), document.slice(4), badDocument, otp]) {
    t.false(output.includes(secret), `the logs contain ${secret}`);
  }
});
