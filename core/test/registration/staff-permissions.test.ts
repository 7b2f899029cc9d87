import test from 'ava';
import {
  covers,
  type Grant,
  grantableRoles,
  grantProblem,
  mayGrant,
  mayReadAudit,
  oversees,
  ROLES,
  type Role,
  type Scope,
  type ScopeType,
  seesAllStaff,
} from '../../src/registration/staff/permissions.js';
import { NoAreasYet, type ScopeDirectory } from '../../src/registration/staff/scope-directory.js';

/** A small tree: state 39 holds districts 395 and 396; facility 101 is in 395, 201 in 396, 301 in block 3951 of 395. */
class FakeDirectory implements ScopeDirectory {
  private readonly facilities = new Map([
    ['101', '395'],
    ['102', '395'],
    ['201', '396'],
    ['301', '3951'],
  ]);
  private readonly parents = new Map([
    ['395', '39'],
    ['396', '39'],
    ['3951', '395'],
  ]);

  async areaOfFacility(facilityId: string): Promise<string | undefined> {
    return this.facilities.get(facilityId);
  }

  async isAreaWithin(area: string, ancestor: string): Promise<boolean> {
    for (let current = this.parents.get(area); current; current = this.parents.get(current)) {
      if (current === ancestor) return true;
    }
    return false;
  }
}

const none = new NoAreasYet();
const tree = new FakeDirectory();
const g = (role: Role, scopeType: ScopeType, scopeId: string | null = null): Grant => ({ role, scopeType, scopeId });
const s = (type: ScopeType, id: string | null = null): Scope => ({ type, id });
const show = (scope: Scope) => `${scope.type}${scope.id ? `:${scope.id}` : ''}`;

const operator = g('platform-operator', 'platform');
const admin = g('tenant-admin', 'tenant');
const officer395 = g('district-officer', 'area', '395');
const manager101 = g('facility-manager', 'facility', '101');
const vaccinator101 = g('vaccinator', 'facility', '101');

test('each role may grant exactly these roles', (t) => {
  const table: [Role, Role[]][] = [
    ['platform-operator', ['platform-operator', 'tenant-admin', 'district-officer', 'facility-manager', 'vaccinator']],
    ['tenant-admin', ['tenant-admin', 'district-officer', 'facility-manager', 'vaccinator']],
    ['district-officer', ['facility-manager', 'vaccinator']],
    ['facility-manager', ['vaccinator']],
    ['vaccinator', []],
  ];
  t.deepEqual(
    table.map(([role]) => role),
    [...ROLES],
    'every role is in the table',
  );
  for (const [role, expected] of table) t.deepEqual([...grantableRoles(role)], expected, role);
});

test('a grant must hold its role in the right kind of scope, with an id exactly for areas and facilities', (t) => {
  const table: [Grant, ReturnType<typeof grantProblem>][] = [
    [operator, undefined],
    [admin, undefined],
    [officer395, undefined],
    [manager101, undefined],
    [vaccinator101, undefined],
    [g('platform-operator', 'tenant'), 'scope-type'],
    [g('tenant-admin', 'platform'), 'scope-type'],
    [g('tenant-admin', 'area', '395'), 'scope-type'],
    [g('district-officer', 'facility', '101'), 'scope-type'],
    [g('vaccinator', 'area', '395'), 'scope-type'],
    [g('district-officer', 'area'), 'scope-id-missing'],
    [g('facility-manager', 'facility', ''), 'scope-id-missing'],
    [g('tenant-admin', 'tenant', 'in'), 'scope-id-unexpected'],
    [g('platform-operator', 'platform', 'x'), 'scope-id-unexpected'],
  ];
  for (const [grant, expected] of table) t.is(grantProblem(grant), expected, JSON.stringify(grant));
});

test('which scopes cover which, with no areas known yet and with a tree of areas', async (t) => {
  const table: [Scope, Scope, ScopeDirectory, boolean][] = [
    [s('platform'), s('platform'), none, true],
    [s('platform'), s('tenant'), none, true],
    [s('platform'), s('facility', '999'), none, true],
    [s('tenant'), s('platform'), none, false],
    [s('tenant'), s('tenant'), none, true],
    [s('tenant'), s('area', '395'), none, true],
    [s('tenant'), s('facility', '101'), none, true],
    // An area covers itself, but without a directory nothing beneath it.
    [s('area', '395'), s('area', '395'), none, true],
    [s('area', '395'), s('area', '396'), none, false],
    [s('area', '395'), s('area', '3951'), none, false],
    [s('area', '395'), s('facility', '101'), none, false],
    [s('area', '395'), s('tenant'), none, false],
    [s('area', '395'), s('platform'), none, false],
    // With the tree: facilities and areas inside, at any depth, and nothing outside.
    [s('area', '395'), s('area', '3951'), tree, true],
    [s('area', '395'), s('area', '39'), tree, false],
    [s('area', '395'), s('area', '396'), tree, false],
    [s('area', '395'), s('facility', '101'), tree, true],
    [s('area', '395'), s('facility', '301'), tree, true],
    [s('area', '395'), s('facility', '201'), tree, false],
    [s('area', '395'), s('facility', '999'), tree, false],
    [s('area', '39'), s('facility', '201'), tree, true],
    [s('area', '3951'), s('facility', '101'), tree, false],
    // A facility covers itself only.
    [s('facility', '101'), s('facility', '101'), tree, true],
    [s('facility', '101'), s('facility', '102'), tree, false],
    [s('facility', '101'), s('area', '395'), tree, false],
    [s('facility', '101'), s('tenant'), tree, false],
  ];
  for (const [holder, target, directory, expected] of table) {
    const label = `${show(holder)} covers ${show(target)} (${directory === none ? 'no areas' : 'tree'})`;
    t.is(await covers(holder, target, directory), expected, label);
  }
});

test('who may grant what, where', async (t) => {
  const table: [string, Grant[], Grant, ScopeDirectory, boolean][] = [
    ['operator grants operator', [operator], g('platform-operator', 'platform'), none, true],
    ['operator grants a vaccinator anywhere', [operator], g('vaccinator', 'facility', '999'), none, true],
    ['admin grants admin', [admin], g('tenant-admin', 'tenant'), none, true],
    ['admin cannot grant operator', [admin], g('platform-operator', 'platform'), none, false],
    ['admin grants a district officer', [admin], g('district-officer', 'area', '395'), none, true],
    ['admin grants a facility manager', [admin], g('facility-manager', 'facility', '101'), none, true],
    ['admin cannot grant a malformed role', [admin], g('vaccinator', 'area', '395'), none, false],
    ['officer cannot grant admin', [officer395], g('tenant-admin', 'tenant'), tree, false],
    ['officer cannot grant officer', [officer395], g('district-officer', 'area', '3951'), tree, false],
    ['officer cannot grant at a facility while no areas are known', [officer395], g('facility-manager', 'facility', '101'), none, false],
    ['officer grants a manager in the area', [officer395], g('facility-manager', 'facility', '101'), tree, true],
    ['officer grants a vaccinator deeper in the area', [officer395], g('vaccinator', 'facility', '301'), tree, true],
    ['officer cannot grant outside the area', [officer395], g('facility-manager', 'facility', '201'), tree, false],
    ['manager grants a vaccinator at the facility', [manager101], g('vaccinator', 'facility', '101'), tree, true],
    ['manager cannot grant at another facility', [manager101], g('vaccinator', 'facility', '102'), tree, false],
    ['manager cannot grant a manager', [manager101], g('facility-manager', 'facility', '101'), tree, false],
    ['vaccinator grants nothing', [vaccinator101], g('vaccinator', 'facility', '101'), tree, false],
    ['no roles, no grants', [], g('vaccinator', 'facility', '101'), tree, false],
    ['any one role suffices', [vaccinator101, g('facility-manager', 'facility', '102')], g('vaccinator', 'facility', '102'), none, true],
    [
      'roles do not combine across scopes',
      [vaccinator101, g('facility-manager', 'facility', '102')],
      g('vaccinator', 'facility', '101'),
      none,
      false,
    ],
    ['a malformed held role grants nothing', [g('tenant-admin', 'area', '395')], g('vaccinator', 'facility', '101'), tree, false],
  ];
  for (const [label, holder, target, directory, expected] of table) t.is(await mayGrant(holder, target, directory), expected, label);
});

test('who oversees, who sees all staff, who reads the audit log', async (t) => {
  t.true(await oversees([manager101], s('facility', '101'), none));
  t.false(await oversees([manager101], s('facility', '102'), none));
  t.true(await oversees([vaccinator101, officer395], s('area', '395'), none));
  t.false(await oversees([], s('facility', '101'), none));

  const table: [Grant[], boolean, boolean][] = [
    [[operator], true, true],
    [[admin], true, true],
    [[officer395], false, false],
    [[manager101], false, false],
    [[vaccinator101], false, false],
    [[vaccinator101, admin], true, true],
    [[], false, false],
    [[g('tenant-admin', 'area', '395')], false, false],
  ];
  for (const [holder, all, audit] of table) {
    const label = JSON.stringify(holder.map((grant) => grant.role));
    t.is(seesAllStaff(holder), all, `sees all: ${label}`);
    t.is(mayReadAudit(holder), audit, `reads audit: ${label}`);
  }
});
