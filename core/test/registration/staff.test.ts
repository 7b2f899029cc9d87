import 'reflect-metadata';
import test, { type ExecutionContext } from 'ava';
import { decodeJwt } from 'jose';
import * as OTPAuth from 'otpauth';
import pg from 'pg';
import { bootstrapDevelopmentAdmin } from '../../src/registration/staff/bootstrap.js';
import { SIGN_IN_PER_IP } from '../../src/registration/staff/staff-service.js';
import { startTestPlatform, type TestPlatform, type TestResponse } from '../support/platform.js';

let app: TestPlatform;
const IN = 'in.localhost';
const MX = 'mx.localhost';

const ADMIN_PASSWORD = 'admin-pass-Ω-1234567';
const OFFICER_PASSWORD = 'officer-pass-2345678';
const MANAGER_PASSWORD = 'manager-pass-3456789';
const VACCINATOR_PASSWORD = 'vaccinator-pass-456';
/** The TOTP secret, once enrolled: it may never show in the audit log either. */
const secrets: string[] = [];

interface RoleView {
  role: string;
  scopeType: string;
  scopeId: string | null;
}
interface UserView {
  id: string;
  username: string;
  displayName: string;
  roles: RoleView[];
  totpEnabled: boolean;
}
interface AuditView {
  id: number;
  at: string;
  actorType: string;
  actorId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
}
const ids: Record<string, string> = {};

test.before(async () => {
  // Development start-up creates each tenant's first administrator with this password.
  process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;
  app = await startTestPlatform();
});
test.after.always(async () => {
  await app?.stop();
});
// Every sign-in here comes from 127.0.0.1; the per-IP limit is tested on its own.
test.beforeEach(async () => {
  await sql('in', "delete from rate_limit where key like 'staff-sign-in:ip:%'");
});

async function sql<T = Record<string, unknown>>(code: string, query: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: app.platform.database.urlFor(app.platform.tenants.byCode(code)!.database) });
  await client.connect();
  try {
    return (await client.query(query, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Every password and TOTP code sent in this file: none may ever show in the audit log. */
const sentPasswords = new Set<string>();
const sentCodes = new Set<string>();

function signIn(username: string, password: string, totp?: string, host = IN): Promise<TestResponse> {
  sentPasswords.add(password);
  if (totp) sentCodes.add(totp);
  return app.request(host, '/api/v1/staff/sign-in', { method: 'POST', body: { username, password, ...(totp ? { totp } : {}) } });
}

async function tokenFor(username: string, password: string, totp?: string): Promise<string> {
  const response = await signIn(username, password, totp);
  if (response.status !== 200) throw new Error(`sign-in ${username}: ${response.status} ${response.text}`);
  return response.json().token;
}

function api(token: string | undefined, method: string, path: string, body?: unknown, host = IN): Promise<TestResponse> {
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  const code = (body as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && /^\d{6}$/.test(code)) sentCodes.add(code);
  // Node's client sends a DELETE body only with an explicit length (no chunking by default).
  if (body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(JSON.stringify(body)));
  return app.request(host, `/api/v1/staff${path}`, { method, body, headers });
}

const role = (name: string, scopeType: string, scopeId?: string) => ({ role: name, scopeType, ...(scopeId ? { scopeId } : {}) });
function newUser(username: string, password: string, roles: unknown[]) {
  sentPasswords.add(password);
  return { username, displayName: `Staff ${username}`, password, roles };
}

function problem(t: ExecutionContext, response: TestResponse, status: number, code: string, label = '') {
  t.is(response.status, status, `${label} ${response.text}`);
  t.is(response.headers['content-type'], 'application/problem+json', label);
  t.is(response.json().code, code, label);
}

test.serial('development start-up creates one administrator per tenant, once, with a scrypt hash and a system audit entry', async (t) => {
  t.deepEqual(await bootstrapDevelopmentAdmin(app.platform.tenants.byCode('in')!, 'another-password-123'), {
    username: 'admin',
    created: false,
  });
  const users = await sql<{ id: string; username: string; display_name: string; password_hash: string }>('in', 'select * from staff_user');
  t.is(users.length, 1);
  t.is(users[0].username, 'admin');
  t.is(users[0].display_name, 'Tenant administrator');
  t.regex(users[0].password_hash, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
  const roles = await sql('in', 'select role, scope_type, scope_id from staff_role where user_id = $1', [users[0].id]);
  t.deepEqual(roles, [{ role: 'tenant-admin', scope_type: 'tenant', scope_id: null }]);
  const audit = await sql('in', "select actor_type, target_id from audit_entry where action = 'staff.admin-bootstrapped'");
  t.deepEqual(audit, [{ actor_type: 'system', target_id: users[0].id }]);
  const mexico = await sql<{ password_hash: string }>('mx', 'select password_hash from staff_user');
  t.is(mexico.length, 1, 'every tenant gets its own administrator');
  t.not(mexico[0].password_hash, users[0].password_hash);
  await t.throwsAsync(bootstrapDevelopmentAdmin(app.platform.tenants.byCode('mx')!, 'short'), { message: /12 characters/ });
  ids.admin = users[0].id;
});

test.serial('the administrator signs in for a working day and sees their roles', async (t) => {
  const response = await signIn('Admin', ADMIN_PASSWORD);
  t.is(response.status, 200, response.text);
  t.is(response.headers['cache-control'], 'no-store');
  const { token, expiresAt } = response.json();
  const claims = decodeJwt(token);
  t.is(claims.exp! - claims.iat!, 8 * 3600);
  t.is(claims.sub, ids.admin);
  t.is(new Date(expiresAt).getTime(), claims.exp! * 1000);
  const me = await api(token, 'GET', '/me');
  t.is(me.status, 200);
  t.deepEqual(me.json(), {
    id: ids.admin,
    username: 'admin',
    displayName: 'Tenant administrator',
    roles: [{ role: 'tenant-admin', scopeType: 'tenant', scopeId: null }],
    totpEnabled: false,
  });
  t.is(me.headers['cache-control'], 'no-store');
});

test.serial('staff endpoints need a staff token: none, a forged one or a citizen-shaped one get 401', async (t) => {
  problem(t, await api(undefined, 'GET', '/me'), 401, 'unauthorized');
  problem(t, await api('not-a-token', 'GET', '/users'), 401, 'unauthorized');
  problem(
    t,
    await api(undefined, 'POST', '/users', newUser('nobody', 'nobody-password-1', [role('vaccinator', 'facility', '101')])),
    401,
    'unauthorized',
  );
  problem(t, await api(undefined, 'GET', '/audit'), 401, 'unauthorized');
});

test.serial('the administrator creates a district officer, a facility manager and a vaccinator', async (t) => {
  const admin = await tokenFor('admin', ADMIN_PASSWORD);
  const created: [string, string, ReturnType<typeof role>][] = [
    ['Officer.395', OFFICER_PASSWORD, role('district-officer', 'area', '395')],
    ['manager.101', MANAGER_PASSWORD, role('facility-manager', 'facility', '101')],
    ['vacc.101', VACCINATOR_PASSWORD, role('vaccinator', 'facility', '101')],
  ];
  for (const [username, password, grant] of created) {
    const response = await api(admin, 'POST', '/users', newUser(username, password, [grant, grant]));
    t.is(response.status, 201, response.text);
    const user = response.json<UserView>();
    t.is(user.username, username.toLowerCase(), 'usernames are stored lower-case');
    t.deepEqual(user.roles, [{ scopeId: null, ...grant }], 'a repeated role is held once');
    t.false(JSON.stringify(user).includes(password));
    ids[user.username] = user.id;
  }
  const dump = JSON.stringify(await sql('in', 'select * from staff_user'));
  for (const [, password] of created) t.false(dump.includes(password), 'passwords are stored only as hashes');

  problem(
    t,
    await api(admin, 'POST', '/users', newUser('OFFICER.395', 'whatever-password-1', [role('vaccinator', 'facility', '1')])),
    409,
    'username-taken',
  );
  problem(
    t,
    await api(admin, 'POST', '/users', newUser('shorty', 'short-pass', [role('vaccinator', 'facility', '1')])),
    422,
    'validation-failed',
  );
  const bad = await api(admin, 'POST', '/users', newUser('x', 'long-enough-password', []));
  t.deepEqual(
    bad
      .json()
      .errors.map((e: { path: string }) => e.path)
      .sort(),
    ['/roles', '/username'],
  );
  const wrongScope = await api(
    admin,
    'POST',
    '/users',
    newUser('wrong.scope', 'long-enough-password', [role('vaccinator', 'area', '395')]),
  );
  problem(t, wrongScope, 422, 'validation-failed');
  t.deepEqual(wrongScope.json().errors[0].path, '/roles/0/scopeType');
  const noId = await api(admin, 'POST', '/users', newUser('no.id', 'long-enough-password', [role('facility-manager', 'facility')]));
  t.deepEqual(noId.json().errors[0].path, '/roles/0/scopeId');
  problem(
    t,
    await api(admin, 'POST', '/users', newUser('operator', 'long-enough-password', [role('platform-operator', 'platform')])),
    403,
    'forbidden',
  );

  const list = (await api(admin, 'GET', '/users')).json<{ users: UserView[] }>().users;
  t.deepEqual(
    list.map((user) => user.username),
    ['admin', 'manager.101', 'officer.395', 'vacc.101'],
    'administrators see everyone',
  );
});

test.serial('a district officer cannot create administrators, officers, or staff at facilities (no areas known yet)', async (t) => {
  const officer = await tokenFor('officer.395', OFFICER_PASSWORD);
  const attempts = [
    role('tenant-admin', 'tenant'),
    role('district-officer', 'area', '395'),
    role('facility-manager', 'facility', '101'),
    role('vaccinator', 'facility', '101'),
  ];
  for (const grant of attempts) {
    problem(t, await api(officer, 'POST', '/users', newUser('new.person', 'long-enough-password', [grant])), 403, 'forbidden', grant.role);
  }
  t.is((await sql('in', "select * from staff_user where username = 'new.person'")).length, 0);
  const list = (await api(officer, 'GET', '/users')).json<{ users: UserView[] }>().users;
  t.deepEqual(
    list.map((user) => user.username),
    ['officer.395'],
    'only staff in the area (no facility is known to lie in it yet)',
  );
  problem(t, await api(officer, 'GET', '/audit'), 403, 'forbidden');
});

test.serial('a facility manager creates vaccinators at its own facility only', async (t) => {
  const manager = await tokenFor('manager.101', MANAGER_PASSWORD);
  const created = await api(manager, 'POST', '/users', newUser('vacc.two', 'vaccinator-two-pass', [role('vaccinator', 'facility', '101')]));
  t.is(created.status, 201, created.text);
  ids['vacc.two'] = created.json().id;
  problem(
    t,
    await api(manager, 'POST', '/users', newUser('vacc.102', 'vaccinator-102-pass', [role('vaccinator', 'facility', '102')])),
    403,
    'forbidden',
  );
  problem(
    t,
    await api(manager, 'POST', '/users', newUser('mgr.two', 'manager-two-password', [role('facility-manager', 'facility', '101')])),
    403,
    'forbidden',
  );
  problem(
    t,
    await api(
      manager,
      'POST',
      '/users',
      newUser('mixed', 'mixed-roles-password', [role('vaccinator', 'facility', '101'), role('vaccinator', 'facility', '102')]),
    ),
    403,
    'forbidden',
    'one role out of scope refuses the whole account',
  );
  t.is((await sql('in', "select * from staff_user where username in ('vacc.102', 'mgr.two', 'mixed')")).length, 0);
  const list = (await api(manager, 'GET', '/users')).json<{ users: UserView[] }>().users;
  t.deepEqual(
    list.map((user) => user.username),
    ['manager.101', 'vacc.101', 'vacc.two'],
  );
  problem(t, await api(manager, 'GET', '/audit'), 403, 'forbidden');
});

test.serial('a vaccinator cannot create anyone, grant anything or read the audit log', async (t) => {
  const vaccinator = await tokenFor('vacc.101', VACCINATOR_PASSWORD);
  problem(
    t,
    await api(vaccinator, 'POST', '/users', newUser('vacc.three', 'vaccinator-3-pass', [role('vaccinator', 'facility', '101')])),
    403,
    'forbidden',
  );
  problem(t, await api(vaccinator, 'POST', `/users/${ids['vacc.two']}/roles`, role('vaccinator', 'facility', '101')), 403, 'forbidden');
  problem(t, await api(vaccinator, 'GET', '/audit'), 403, 'forbidden');
  const list = (await api(vaccinator, 'GET', '/users')).json<{ users: UserView[] }>().users;
  t.deepEqual(
    list.map((user) => user.username),
    ['manager.101', 'vacc.101', 'vacc.two'],
    'colleagues at the same facility',
  );
});

test.serial('granted and revoked roles take effect on the very next request', async (t) => {
  const admin = await tokenFor('admin', ADMIN_PASSWORD);
  const vaccinator = await tokenFor('vacc.101', VACCINATOR_PASSWORD);
  const target = ids['vacc.101'];

  const granted = await api(admin, 'POST', `/users/${target}/roles`, role('facility-manager', 'facility', '102'));
  t.is(granted.status, 200, granted.text);
  t.deepEqual(granted.json<UserView>().roles, [
    { role: 'facility-manager', scopeType: 'facility', scopeId: '102' },
    { role: 'vaccinator', scopeType: 'facility', scopeId: '101' },
  ]);
  t.is(
    (await api(admin, 'POST', `/users/${target}/roles`, role('facility-manager', 'facility', '102'))).json<UserView>().roles.length,
    2,
    'idempotent',
  );
  const now = await api(vaccinator, 'POST', '/users', newUser('vacc.102', 'vaccinator-102-pass', [role('vaccinator', 'facility', '102')]));
  t.is(now.status, 201, 'the same token now manages facility 102');
  ids['vacc.102'] = now.json().id;

  const revoked = await api(admin, 'DELETE', `/users/${target}/roles`, role('facility-manager', 'facility', '102'));
  t.is(revoked.status, 200, revoked.text);
  t.deepEqual(revoked.json<UserView>().roles, [{ role: 'vaccinator', scopeType: 'facility', scopeId: '101' }]);
  problem(
    t,
    await api(vaccinator, 'POST', '/users', newUser('vacc.1022', 'vaccinator-1022-pass', [role('vaccinator', 'facility', '102')])),
    403,
    'forbidden',
  );

  // A facility manager revokes a vaccinator at its facility, not elsewhere.
  const manager = await tokenFor('manager.101', MANAGER_PASSWORD);
  problem(t, await api(manager, 'DELETE', `/users/${ids['vacc.102']}/roles`, role('vaccinator', 'facility', '102')), 403, 'forbidden');
  const byManager = await api(manager, 'DELETE', `/users/${ids['vacc.two']}/roles`, role('vaccinator', 'facility', '101'));
  t.is(byManager.status, 200, byManager.text);
  t.deepEqual(byManager.json<UserView>().roles, []);

  problem(t, await api(admin, 'DELETE', `/users/${ids.admin}/roles`, role('tenant-admin', 'tenant')), 409, 'last-admin');
  problem(
    t,
    await api(admin, 'POST', '/users/6f1c5a2e-0000-4000-8000-000000000000/roles', role('vaccinator', 'facility', '1')),
    404,
    'not-found',
  );
  problem(t, await api(admin, 'POST', '/users/not-a-uuid/roles', role('vaccinator', 'facility', '1')), 404, 'not-found');
  problem(t, await api(admin, 'DELETE', `/users/${target}/roles`, { role: 'vaccinator' }), 422, 'validation-failed');
});

test.serial('a wrong password and an unknown username get the same 401, in comparable time', async (t) => {
  const wrong = await signIn('vacc.101', 'not-the-password-1');
  const unknown = await signIn('nobody.here', 'not-the-password-1');
  for (const response of [wrong, unknown]) problem(t, response, 401, 'invalid-credentials');
  t.deepEqual(Object.keys(wrong.json()).sort(), Object.keys(unknown.json()).sort());
  t.is(wrong.json().title, unknown.json().title);

  const timed = async (username: string) => {
    const started = performance.now();
    await signIn(username, 'not-the-password-2');
    return performance.now() - started;
  };
  const known: number[] = [];
  const missing: number[] = [];
  for (let i = 0; i < 3; i++) {
    known.push(await timed('vacc.101'));
    missing.push(await timed(`nobody.${i}`));
  }
  // Without the dummy hash an unknown name would be refused many times faster than a known one.
  t.true(Math.min(...missing) > Math.min(...known) * 0.5, `unknown ${missing.join(',')} vs known ${known.join(',')}`);
  t.is((await signIn('vacc.101', VACCINATOR_PASSWORD)).status, 200, 'four failures do not lock; success resets the count');
  t.is(
    (await sql<{ failed_attempts: number }>('in', "select failed_attempts from staff_user where username = 'vacc.101'"))[0].failed_attempts,
    0,
  );
});

test.serial('after maxFailures failures in a row the account is locked with Retry-After, even for the right password', async (t) => {
  const admin = await tokenFor('admin', ADMIN_PASSWORD);
  const { maxFailures, lockSeconds } = app.platform.tenants.byCode('in')!.config.limits.staffSignIn;
  const password = 'lock-me-password-1';
  const created = await api(admin, 'POST', '/users', newUser('lock.me', password, [role('vaccinator', 'facility', '101')]));
  ids['lock.me'] = created.json().id;

  for (let i = 0; i < maxFailures; i++)
    problem(t, await signIn('lock.me', `wrong-password-${i}`), 401, 'invalid-credentials', `failure ${i + 1}`);
  const locked = await signIn('lock.me', password);
  problem(t, locked, 429, 'account-locked');
  const retryAfter = Number(locked.headers['retry-after']);
  t.true(retryAfter > lockSeconds - 30 && retryAfter <= lockSeconds, `Retry-After ${retryAfter}`);
  problem(t, await signIn('lock.me', 'wrong-again-password'), 429, 'account-locked');
  t.is((await signIn('vacc.101', VACCINATOR_PASSWORD)).status, 200, 'other accounts are unaffected');

  await sql('in', "update staff_user set locked_until = now() - interval '1 second' where username = 'lock.me'");
  t.is((await signIn('lock.me', password)).status, 200, 'the lock ends');
});

test.serial('each IP address has its own sign-in limit, answered 429 with Retry-After', async (t) => {
  t.is((await signIn('admin', ADMIN_PASSWORD)).status, 200);
  await sql('in', "update rate_limit set hits = $1 where key like 'staff-sign-in:ip:%'", [SIGN_IN_PER_IP]);
  const limited = await signIn('admin', ADMIN_PASSWORD);
  problem(t, limited, 429, 'too-many-requests');
  t.true(Number(limited.headers['retry-after']) > 800);
  t.is((await sql('in', "select * from rate_limit where key like 'staff-sign-in:ip:%'")).length, 1);
});

let totpSecret = '';

test.serial('TOTP: enrolment, confirmation, then sign-in needs the code; a wrong or replayed code is refused', async (t) => {
  const token = await tokenFor('manager.101', MANAGER_PASSWORD);
  problem(t, await api(token, 'POST', '/totp/confirm', { code: '123456' }), 409, 'totp-not-started');

  const started = await api(token, 'POST', '/totp');
  t.is(started.status, 200, started.text);
  t.is(started.headers['cache-control'], 'no-store');
  const totp = OTPAuth.URI.parse(started.json().otpauthUrl);
  if (!(totp instanceof OTPAuth.TOTP)) throw new Error('not a TOTP URL');
  t.like(totp, { algorithm: 'SHA1', digits: 6, period: 30, label: 'manager.101', issuer: 'Teeka IN' });
  totpSecret = totp.secret.base32;
  secrets.push(totpSecret);

  const stored = await sql<{ totp_secret_enc: Buffer; totp_enabled: boolean }>(
    'in',
    "select totp_secret_enc, totp_enabled from staff_user where username = 'manager.101'",
  );
  t.false(stored[0].totp_enabled, 'not enabled before confirmation');
  t.false(stored[0].totp_secret_enc.includes(Buffer.from(totp.secret.bytes)), 'stored encrypted');
  t.false(stored[0].totp_secret_enc.toString('latin1').includes(totpSecret));
  t.is((await api(token, 'GET', '/me')).json().totpEnabled, false);
  t.is((await signIn('manager.101', MANAGER_PASSWORD)).status, 200, 'no code needed before confirmation');

  const code = totp.generate();
  const wrongCode = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
  problem(t, await api(token, 'POST', '/totp/confirm', { code: wrongCode }), 422, 'totp-invalid');
  problem(t, await api(token, 'POST', '/totp/confirm', { code: 'abcdef' }), 422, 'validation-failed');
  const confirmed = await api(token, 'POST', '/totp/confirm', { code });
  t.is(confirmed.status, 200, confirmed.text);
  t.is((await api(token, 'GET', '/me')).json().totpEnabled, true);
  problem(t, await api(token, 'POST', '/totp'), 409, 'totp-already-enabled', 'no silent re-enrolment');

  problem(t, await signIn('manager.101', MANAGER_PASSWORD), 401, 'totp-required');
  problem(t, await signIn('manager.101', 'wrong-password-and-no-code'), 401, 'invalid-credentials');
  problem(t, await signIn('manager.101', MANAGER_PASSWORD, wrongCode), 401, 'invalid-credentials');
  problem(t, await signIn('manager.101', 'wrong-password-right-code', totp.generate()), 401, 'invalid-credentials');
  // The confirmation used this step's code; the authenticator's next code is within the window.
  const next = totp.generate({ timestamp: Date.now() + 30_000 });
  const signedIn = await signIn('manager.101', MANAGER_PASSWORD, next);
  t.is(signedIn.status, 200, signedIn.text);
  t.is((await api(signedIn.json().token, 'GET', '/me')).status, 200);
  problem(t, await signIn('manager.101', MANAGER_PASSWORD, next), 401, 'invalid-credentials', 'a code works once');
  problem(t, await signIn('manager.101', MANAGER_PASSWORD, code), 401, 'invalid-credentials', 'the confirmation code is used up too');
  await sql('in', "update staff_user set failed_attempts = 0, locked_until = null where username = 'manager.101'");
});

test.serial('sign-out revokes the token at once', async (t) => {
  const token = await tokenFor('officer.395', OFFICER_PASSWORD);
  t.is((await api(token, 'GET', '/me')).status, 200);
  const out = await api(token, 'POST', '/sign-out');
  t.is(out.status, 204);
  problem(t, await api(token, 'GET', '/me'), 401, 'session-ended');
  problem(t, await api(token, 'POST', '/sign-out'), 401, 'session-ended');
  const revoked = await sql<{ revoked_at: Date | null }>('in', 'select revoked_at from auth_session where id = $1', [decodeJwt(token).jti]);
  t.truthy(revoked[0].revoked_at);
});

test.serial('a deactivated account ends its sessions at the next request; a role taken away stops working at once', async (t) => {
  const token = await tokenFor('officer.395', OFFICER_PASSWORD);
  const me = await api(token, 'GET', '/me');
  t.is(me.status, 200, me.text);
  const roles = await sql<{ role: string; scope_type: string; scope_id: string | null }>(
    'in',
    "select role, scope_type, scope_id from staff_role r join staff_user u on u.id = r.user_id where u.username = 'officer.395'",
  );
  t.true(roles.length > 0);
  await sql('in', "delete from staff_role where user_id = (select id from staff_user where username = 'officer.395')");
  t.deepEqual((await api(token, 'GET', '/me')).json().roles, [], 'the roles are read for every request');
  await sql('in', "update staff_user set active = false where username = 'officer.395'");
  try {
    problem(t, await api(token, 'GET', '/me'), 401, 'session-ended');
  } finally {
    await sql('in', "update staff_user set active = true where username = 'officer.395'");
    for (const role of roles) {
      await sql(
        'in',
        "insert into staff_role (id, user_id, role, scope_type, scope_id) select gen_random_uuid(), id, $1, $2, $3 from staff_user where username = 'officer.395'",
        [role.role, role.scope_type, role.scope_id],
      );
    }
  }
  t.is((await api(token, 'GET', '/me')).status, 200, 'active again, the same session works');
});

test.serial('a staff token from India is refused in Mexico, and India’s staff do not exist there', async (t) => {
  const token = await tokenFor('admin', ADMIN_PASSWORD);
  problem(t, await api(token, 'GET', '/me', undefined, MX), 401, 'unauthorized');
  problem(t, await api(token, 'GET', '/users', undefined, MX), 401, 'unauthorized');
  problem(t, await signIn('admin', ADMIN_PASSWORD, undefined, MX), 401, 'invalid-credentials');
  t.is((await api(token, 'GET', '/me')).status, 200, 'still good at home');
});

test.serial('the audit log lists every action newest first, with the IP address and without secrets', async (t) => {
  const admin = await tokenFor('admin', ADMIN_PASSWORD);
  const response = await api(admin, 'GET', '/audit?limit=1000');
  t.is(response.status, 200, response.text);
  const entries = response.json<{ entries: AuditView[] }>().entries;
  t.true(entries.length > 40);
  const times = entries.map((entry) => new Date(entry.at).getTime());
  t.deepEqual(
    times,
    [...times].sort((a, b) => b - a),
    'newest first',
  );
  t.deepEqual(Object.keys(entries[0]).sort(), [
    'action',
    'actorId',
    'actorType',
    'at',
    'details',
    'id',
    'ip',
    'targetId',
    'targetType',
    'userAgent',
  ]);

  const actions = new Set(entries.map((entry) => entry.action));
  for (const action of [
    'staff.admin-bootstrapped',
    'staff.sign-in',
    'staff.sign-in-failed',
    'staff.sign-in-locked',
    'staff.account-locked',
    'staff.sign-in-totp-required',
    'staff.sign-out',
    'staff.user-created',
    'staff.users-listed',
    'staff.role-granted',
    'staff.role-revoked',
    'staff.totp-enrolment-started',
    'staff.totp-enabled',
    'staff.refused',
  ]) {
    t.true(actions.has(action), action);
  }
  for (const entry of entries.filter((e) => e.actorType === 'staff')) t.regex(entry.ip ?? '', /127\.0\.0\.1/, entry.action);

  const created = entries.find((entry) => entry.action === 'staff.user-created' && entry.targetId === ids['officer.395'])!;
  t.like(created, { actorId: ids.admin, targetType: 'staff-user' });
  t.deepEqual(created.details, { roles: [{ role: 'district-officer', scopeType: 'area', scopeId: '395' }] });
  const { maxFailures, lockSeconds } = app.platform.tenants.byCode('in')!.config.limits.staffSignIn;
  const lock = entries.find((entry) => entry.action === 'staff.account-locked' && entry.targetId === ids['lock.me']);
  t.like(lock, { actorId: ids['lock.me'], details: { failures: maxFailures, lockSeconds } });
  const refused = entries.filter((entry) => entry.action === 'staff.refused' && entry.actorId === ids['officer.395']);
  t.true(refused.some((entry) => entry.details.attempted === 'staff.user-created' && entry.details.role === 'tenant-admin'));
  t.true(refused.some((entry) => entry.details.attempted === 'staff.audit-read'));

  const everything = JSON.stringify(await sql('in', 'select * from audit_entry'));
  t.true(sentPasswords.size > 20 && sentCodes.size >= 4);
  for (const secret of [...secrets, ...sentPasswords])
    t.false(everything.includes(secret), `the audit log holds no ${secret.slice(0, 3)}…`);
  // Codes are digits; uuids and timestamps never hold six digits between non-hex characters.
  for (const code of sentCodes) t.notRegex(everything, new RegExp(`(?<![0-9a-f])${code}(?![0-9a-f])`), 'no TOTP code');

  t.is((await api(admin, 'GET', '/audit?limit=2')).json().entries.length, 2);
  t.is((await api(admin, 'GET', '/audit')).json().entries.length, 50, 'default limit');
  problem(t, await api(admin, 'GET', '/audit?limit=-1'), 422, 'validation-failed');
  const latest = (await api(admin, 'GET', '/audit?limit=1')).json().entries[0];
  t.like(latest, { action: 'staff.audit-read', actorId: ids.admin }, 'reading the log is itself logged');
});
