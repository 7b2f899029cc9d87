import { Writable } from 'node:stream';
import test from 'ava';
import { createLogger } from '../../src/kernel/log/logger.js';
import { redact, redactString } from '../../src/kernel/log/redact.js';
import { startTestPlatform } from '../support/platform.js';

test('phone and identity numbers are removed from strings, whatever their spacing', (t) => {
  for (const text of ['+919876543210', '98765 43210', '2345 6789 0124', '2345-6789-0124', '784-1990-1234567-1']) {
    t.false(/\d{4}/.test(redactString(`value ${text} end`).replace('[redacted]', '')), text);
  }
  t.is(redactString('port 5432, 3 doses, year 2021'), 'port 5432, 3 doses, year 2021');
});

test('sensitive fields are masked by name, at any depth', (t) => {
  t.deepEqual(redact({ to: '+14155550100', nested: { documentNumber: 'A1234567', ok: 'fine' }, otp: '123456' }), {
    to: '[redacted]',
    nested: { documentNumber: '[redacted]', ok: 'fine' },
    otp: '[redacted]',
  });
});

test('the logger itself redacts messages and fields', (t) => {
  const lines: string[] = [];
  const sink = new Writable({
    write: (chunk, _encoding, done) => {
      lines.push(String(chunk));
      done();
    },
  });
  const log = createLogger('info', sink);
  log.info({ phone: '+919876543210', note: 'call 98765 43210' }, 'sent to +919876543210');
  t.is(lines.length, 1);
  t.notRegex(lines[0], /9876/);
  t.regex(lines[0], /\[redacted\]/);
});

test('nothing a request carried about a person reaches the platform log', async (t) => {
  const app = await startTestPlatform();
  try {
    await app.request('in.localhost', '/dev/sms?to=%2B919812345678', {
      method: 'POST',
      body: { to: '+919812345678', text: 'Your code is 482913' },
    });
    const all = app.logs.join('\n');
    t.true(
      app.logs.some((line) => line.includes('"path":"/dev/sms"')),
      'the request was logged',
    );
    t.notRegex(all, /9812345678|482913/);
  } finally {
    await app.stop();
  }
});
