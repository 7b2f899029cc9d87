import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { projectPaths } from '../../src/kernel/config/paths.js';
import { ConfigError } from '../../src/kernel/errors.js';
import { ThemeRenderer } from '../../src/kernel/views/theme-renderer.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

let app: TestPlatform;
test.before(async () => {
  app = await startTestPlatform();
});
test.after.always(async () => {
  await app?.stop();
});

test('the UAE tenant serves Arabic right to left in the UAE theme, and English on ?lng=en', async (t) => {
  const arabic = await app.request('ae.localhost:3000', '/');
  t.regex(arabic.text, /<html lang="ar" dir="rtl">/);
  t.regex(arabic.text, /برنامج التطعيم في الإمارات العربية المتحدة/);
  t.regex(arabic.text, /وزارة الصحة ووقاية المجتمع/, 'the UAE header override');
  t.regex(arabic.text, /--brand:#00643a/, 'UAE brand colour');
  const english = await app.request('ae.localhost:3000', '/?lng=en');
  t.regex(english.text, /<html lang="en" dir="ltr">/);
  t.regex(english.text, /Ministry of Health and Prevention/);
});

test('a country theme overrides only what it has; the rest comes from default', async (t) => {
  const mexico = await app.request('mx.localhost', '/');
  t.regex(mexico.text, /--brand:#691c32/, 'Mexico overrides the colour token');
  t.regex(mexico.text, /logo-mexico\.[0-9a-f]{10}\.svg/);
  t.notRegex(mexico.text, /class="agency"/, 'the UAE header is not inherited by Mexico');
  t.regex(mexico.text, /Funciona con Teeka/, 'default footer');
  const india = await app.request('in.localhost', '/');
  t.regex(india.text, /National helpline: 1075/, 'India footer override');
  t.regex(india.text, /--brand-contrast:#ffffff/, 'token inherited from default');
});

test('assets are fingerprinted and cacheable for a year', async (t) => {
  const page = await app.request('in.localhost', '/');
  const css = page.text.match(/href="(\/assets\/site\.[0-9a-f]{10}\.css)"/)?.[1];
  t.truthy(css);
  const asset = await app.request('in.localhost', css!);
  t.is(asset.status, 200);
  t.regex(String(asset.headers['content-type']), /text\/css/);
  t.regex(String(asset.headers['cache-control']), /max-age=31536000, immutable/);
  const again = await app.request('in.localhost', css!, { headers: { 'If-None-Match': String(asset.headers.etag) } });
  t.is(again.status, 304);
  const stale = await app.request('in.localhost', '/assets/site.0000000000.css');
  t.is(stale.status, 404);
});

function fixtureTheme(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'teeka-theme-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

const defaultLayer = { id: 'default', directory: join(projectPaths().themes, 'default'), tokens: {} };

test('a template calling an unknown helper is refused with the file named', (t) => {
  const directory = fixtureTheme({ 'pages/home.hbs': '<p>{{shout "hello"}}</p>' });
  const error = t.throws(() => new ThemeRenderer([defaultLayer, { id: 'bad', directory, tokens: {} }], {}, '/'), {
    instanceOf: ConfigError,
  });
  t.regex(error!.message, /pages\/home\.hbs/);
  t.regex(error!.message, /shout/);
});

test('a template using a partial no theme has is refused', (t) => {
  const directory = fixtureTheme({ 'partials/footer.hbs': '<footer>{{> sponsor-banner}}</footer>' });
  const error = t.throws(() => new ThemeRenderer([defaultLayer, { id: 'bad', directory, tokens: {} }], {}, '/'), {
    instanceOf: ConfigError,
  });
  t.regex(error!.message, /partials\/footer\.hbs/);
  t.regex(error!.message, /sponsor-banner/);
});

test('a template with a syntax error is refused', (t) => {
  const directory = fixtureTheme({ 'pages/home.hbs': '{{#if x}}never closed' });
  t.throws(() => new ThemeRenderer([defaultLayer, { id: 'bad', directory, tokens: {} }], {}, '/'), { instanceOf: ConfigError });
});

test('templates cannot reach prototype properties', (t) => {
  const directory = fixtureTheme({ 'pages/probe.hbs': '[{{constructor.name}}][{{__proto__}}]' });
  const theme = new ThemeRenderer([defaultLayer, { id: 'probe', directory, tokens: {} }], {}, '/');
  const html = theme.render(
    'probe',
    {},
    {
      lng: 'en',
      locale: 'en',
      dir: 'ltr',
      timeZone: 'UTC',
      currency: 'USD',
      siteName: 'x',
      languages: [],
      t: (key) => key,
      assetUrl: () => '',
    },
  );
  t.regex(html, /\[\]\[\]/);
});
