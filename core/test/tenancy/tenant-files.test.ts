import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { parse, stringify } from 'yaml';
import { projectPaths } from '../../src/kernel/config/paths.js';
import { ConfigError } from '../../src/kernel/errors.js';
import { loadTenantFiles, parseTenantFile } from '../../src/kernel/tenancy/load-tenants.js';

const paths = projectPaths();
const india = () => parse(readFileSync(join(paths.tenants, 'in.yaml'), 'utf8')) as Record<string, any>;

test('the demo tenant files are valid and get defaults filled in', (t) => {
  const tenants = loadTenantFiles(paths.tenants, paths.root);
  t.deepEqual(tenants.map((tenant) => tenant.code).sort(), ['ae', 'in', 'mx', 'ng', 'pe', 'ua']);
  const mexico = tenants.find((tenant) => tenant.code === 'mx')!;
  t.is(mexico.limits.beneficiariesPerAccount, 4);
  t.deepEqual(mexico.limits.otp, { ttlSeconds: 180, maxAttempts: 5, resendCooldownSeconds: 60 });
  t.is(mexico.limits.rateLimits.publicApiPerIpPer5Minutes, 100);
});

const broken: [string, (file: Record<string, any>) => void, RegExp][] = [
  ['a missing required field', (f) => delete f.timeZone, /\(top level\): missing required property "timeZone"/],
  ['a wrong type', (f) => (f.limits.beneficiariesPerAccount = 'four'), /\/limits\/beneficiariesPerAccount: must be integer/],
  ['an unknown property', (f) => (f.colour = 'blue'), /unknown property "colour"/],
  [
    'a default language that is not enabled',
    (f) => (f.languages.default = 'ta'),
    /\/languages\/default: "ta" must be one of the enabled languages \(en, hi\)/,
  ],
  [
    'a fallback to a language not enabled',
    (f) => (f.languages.fallback = { hi: ['mr'] }),
    /\/languages\/fallback\/hi: "mr" is not an enabled language/,
  ],
  ['a time zone that does not exist', (f) => (f.timeZone = 'Asia/Atlantis'), /\/timeZone: "Asia\/Atlantis" is not an IANA time zone/],
  ['a code that does not match the file name', (f) => (f.code = 'mx'), /\/code: "mx" must match the file name "in"/],
  ['a secret written into the file', (f) => (f.secrets.tokenKey = 'hunter2'), /\/secrets\/tokenKey: must be object/],
  [
    'an interval for a dose the vaccine does not have',
    (f) => (f.vaccines[0].intervals[0].dose = 3),
    /\/vaccines\/0\/intervals\/0\/dose: 3 exceeds the 2 doses/,
  ],
  [
    'a brand token that could escape its style element',
    (f) => (f.theme.tokens = { primaryColor: 'red}</style><script>' }),
    /\/theme\/tokens\/primaryColor/,
  ],
];

for (const [name, breakIt, message] of broken) {
  test(`a tenant file with ${name} is refused with the path and what was expected`, (t) => {
    const file = india();
    breakIt(file);
    const error = t.throws(() => parseTenantFile(stringify(file), 'in'), { instanceOf: ConfigError });
    t.regex(error!.message, message);
  });
}

test('YAML syntax errors are reported with their position', (t) => {
  const error = t.throws(() => parseTenantFile('code: in\nlanguages: [en, hi\n', 'in'), { instanceOf: ConfigError });
  t.regex(error!.message, /YAML: .*line \d+/i);
});
