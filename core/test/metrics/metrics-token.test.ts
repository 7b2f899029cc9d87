import test from 'ava';
import { startTestPlatform } from '../support/platform.js';

test('with TEEKA_METRICS_TOKEN set, /metrics asks for that bearer token', async (t) => {
  process.env.TEEKA_METRICS_TOKEN = 'scrape-secret-1';
  const app = await startTestPlatform({ settings: { tenantCodes: ['ng'] } });
  try {
    const none = await app.request('localhost', '/metrics');
    t.is(none.status, 401);
    t.is(none.headers['www-authenticate'], 'Bearer realm="metrics"');
    t.is((await app.request('localhost', '/metrics', { headers: { Authorization: 'Bearer wrong' } })).status, 401);
    const ok = await app.request('localhost', '/metrics', { headers: { Authorization: 'Bearer scrape-secret-1' } });
    t.is(ok.status, 200);
    t.regex(String(ok.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    t.regex(ok.text, /http_requests_total\{tenant="platform",method="GET",route="unmatched",status="401"\} 2/);
  } finally {
    delete process.env.TEEKA_METRICS_TOKEN;
    await app.stop();
  }
});
