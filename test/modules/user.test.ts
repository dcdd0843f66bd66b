/**
 * user and group (src/modules/user.ts, group.ts): pure planning from recorded getent output, and
 * the converge contract on THIS machine (root) with throwaway names (kvplay-test-*) only.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { parseAccountFacts, parseGroups, accountFactCmd } from '../../src/facts/account.js';
import { looksHashed, planUser, wantedGroups, type UserParams } from '../../src/modules/user.js';
import { planGroup, parseGroupFact } from '../../src/modules/group.js';
import { CountingTransport, run } from './helpers.js';
import { sectionsOutput } from '../harness/sections.js';
import { requires } from '../harness/gate.js';

const GROUPS = 'root:x:0:\nsudo:x:27:alice\nusers:x:100:alice,bob\nalice:x:1000:\ndocker:x:999:\n';
const facts = (o: { passwd?: string; shadow?: string; home?: boolean; groups?: string } = {}) =>
  parseAccountFacts('alice', sectionsOutput({ passwd: o.passwd ?? 'alice:x:1000:1000:Alice A,,,:/home/alice:/bin/bash', shadow: o.shadow ?? '$6$salt$hash', groups: (o.groups ?? GROUPS).replace(/\n$/, ''), home: o.home === false ? '' : 'yes', umask: '022' }));
const absent = () => parseAccountFacts('alice', sectionsOutput({ passwd: { out: '', rc: 2 }, shadow: '', groups: GROUPS.replace(/\n$/, ''), home: '', umask: '' }));
const plan = (p: Partial<UserParams>, f = facts(), check = false) => planUser({ name: 'alice', ...p }, f, { check });
const cmds = (pl: ReturnType<typeof plan>) => (pl.kind === 'change' ? pl.steps.map((s) => s.cmd) : []);

test('facts: passwd, shadow hash, groups by members, home, login.defs UMASK', () => {
  const f = facts();
  assert.equal(f.user, { name: 'alice', uid: 1000, gid: 1000, comment: 'Alice A,,,', home: '/home/alice', shell: '/bin/bash' });
  assert.is(f.hash, '$6$salt$hash');
  assert.equal(f.groups.users.members, ['alice', 'bob']);
  assert.is(Object.getPrototypeOf(f.groups), null);
  assert.is(f.umask, 0o22);
  assert.match(accountFactCmd("it's"), `getent passwd 'it'\\''s'`);
  assert.is(parseGroups('x:y\n__proto__:x:5:\n').__proto__?.gid, 5, 'a group named __proto__ is just a name');
});

test('an existing account as wanted is ok, with Ansible\'s result keys', () => {
  const p = plan({ shell: '/bin/bash', groups: ['sudo', 'users'], comment: 'Alice A,,,' });
  assert.is(p.kind, 'ok', p.reason);
  assert.equal(p.result, { name: 'alice', state: 'present', append: false, move_home: false, uid: 1000, group: 1000, comment: 'Alice A,,,', home: '/home/alice', shell: '/bin/bash', groups: 'sudo,users' });
});

test('usermod with only what differs; groups exact or appended (-a -G); unknown groups fail', () => {
  assert.equal(cmds(plan({ shell: '/bin/zsh', uid: 1001 })), ['usermod -u 1001 -s /bin/zsh alice', 'getent passwd alice']);
  assert.equal(cmds(plan({ groups: ['docker'] }))[0], 'usermod -G docker alice');
  assert.equal(cmds(plan({ groups: 'docker', append: true }))[0], 'usermod -a -G docker alice');
  assert.is(plan({ groups: ['sudo'], append: true }).kind, 'ok', 'append: already a member');
  assert.equal(cmds(plan({ groups: [] }))[0], "usermod -G '' alice");
  assert.is(plan({ groups: [], append: true }).kind, 'ok');
  assert.throws(() => plan({ groups: ['nope'] }), /^Group nope does not exist$/);
  assert.throws(() => plan({ group: 'nope' }), /^Group nope does not exist$/);
  assert.equal(cmds(plan({ group: 'users' }))[0], 'usermod -g 100 alice');
  assert.is(plan({ group: '1000' }).kind, 'ok', 'a gid names the group too');
  assert.equal(cmds(plan({ home: '/srv/alice', move_home: true }))[0], 'usermod -d /srv/alice -m alice');
  assert.equal(wantedGroups({ name: 'alice', groups: ['a,b', 'c'] }), ['a', 'b', 'c']);
});

test('password: the hash is compared (a lock ! ignored) and set through stdin, never on the command line', () => {
  assert.is(plan({ password: '$6$salt$hash' }).kind, 'ok');
  assert.is(plan({ password: '$6$salt$hash' }, facts({ shadow: '!$6$salt$hash' })).kind, 'ok');
  const ch = plan({ password: '$6$new$other' });
  assert.ok(ch.kind === 'change');
  if (ch.kind === 'change') {
    assert.not.match(ch.steps[0].cmd, 'other');
    assert.is(ch.steps[0].stdin, '$6$new$other\n');
    assert.match(ch.steps[0].explain!, "-p '********'");
    assert.not.match(ch.reason, 'other');
    assert.not.match(JSON.stringify(ch.diff), 'other');
  }
  assert.is(ch.result!.password, 'NOT_LOGGING_PASSWORD');
  assert.is(plan({ password: '$6$new$other', update_password: 'on_create' }).kind, 'ok');
  assert.equal(cmds(plan({ password_lock: true })), ['usermod -L alice', 'getent passwd alice']);
  assert.is(plan({ password_lock: false }).kind, 'ok');
  const both = plan({ password: '$6$new$other', password_lock: true });
  assert.ok(both.kind === 'change' && both.steps[0].stdin === '!$6$new$other\n' && !both.steps[0].cmd.includes('-L'));
});

test('a password that does not look like a crypt hash gets Ansible\'s warning in the result', () => {
  assert.ok(looksHashed('$6$kvplaysalt$Te4wTLGR5FXsl0vTcgPsCbegCzuXPXb3nQAgPg9TKx7RmRiu4xXDG2fFI5MHJJZmkmqB0Yi6mCcisyZ6.EqVz1'));
  assert.ok(looksHashed('!'));
  for (const bad of ['secret', '$6$salt$short', '$6$x', 'a:b$c$d', '$1$s$' + 'x'.repeat(21)]) assert.not.ok(looksHashed(bad), bad);
  assert.match(String((plan({ password: 'cleartext' }).result!.warnings as string[])[0]), /^The input password appears not to have been hashed/);
  assert.is(plan({ password: '$6$salt$hash' }).result!.warnings !== undefined, true);
  assert.is(plan({}).result!.warnings, undefined);
});

test('useradd: Ansible\'s flags; -N when a group of the name exists; check mode returns only changed', () => {
  const c = plan({ uid: 1500, groups: ['sudo'], shell: '/bin/sh', comment: 'A', home: '/srv/h/alice', system: true }, absent());
  assert.equal(cmds(c), ['mkdir -p -- /srv/h', 'useradd -u 1500 -N -G sudo -c A -d /srv/h/alice -s /bin/sh -m -r alice', 'getent passwd alice']);
  assert.equal(c.result, { name: 'alice', state: 'present', system: true, create_home: true, groups: 'sudo' });
  assert.equal(cmds(plan({ create_home: false, group: 'users' }, absent())), ['useradd -g users -M alice', 'getent passwd alice']);
  assert.equal(plan({}, absent(), true).result, {});
});

test('a missing home of an existing account is created (create_home), from the skeleton, mode from UMASK', () => {
  const p = plan({}, facts({ home: false }));
  assert.match(cmds(p)[0], "cp -a -- /etc/skel /home/alice");
  assert.match(cmds(p)[0], 'chmod 755 -- /home/alice && chown -R 1000:1000 -- /home/alice');
  assert.is(plan({ create_home: false }, facts({ home: false })).kind, 'ok');
});

test('absent: userdel with -f/-r; group: groupadd/groupmod/groupdel', () => {
  assert.equal(cmds(plan({ state: 'absent', remove: true, force: true })), ['userdel -f -r alice']);
  assert.is(plan({ state: 'absent' }, absent()).kind, 'ok');
  const g = parseGroupFact('docker', GROUPS);
  assert.equal(g, { name: 'docker', gid: 999, members: [] });
  assert.is(planGroup({ name: 'docker' }, g, { check: false }).kind, 'ok');
  assert.equal(planGroup({ name: 'docker' }, g, { check: false }).result, { name: 'docker', state: 'present', system: false, gid: 999 });
  const mod = planGroup({ name: 'docker', gid: 998, non_unique: true }, g, { check: false });
  assert.ok(mod.kind === 'change' && mod.steps[0].cmd === 'groupmod -g 998 -o docker');
  const add = planGroup({ name: 'new', gid: 4000, system: true }, undefined, { check: false });
  assert.ok(add.kind === 'change' && add.steps[0].cmd === 'groupadd -g 4000 -r new');
  const del = planGroup({ name: 'docker', state: 'absent' }, g, { check: false });
  assert.ok(del.kind === 'change' && del.steps[0].cmd === 'groupdel docker');
});

// on this machine, as root: only throwaway names
const U = `kvplay-test-u${process.pid}`;
const G = `kvplay-test-g${process.pid}`;
const HOME = `/tmp/${U}-home`;
const cleanup = () => {
  execSync(`userdel -r ${U} 2>/dev/null; groupdel ${G} 2>/dev/null; true`, { shell: '/bin/sh' });
  rmSync(HOME, { recursive: true, force: true });
};
const rootTest = requires({ root: true, tools: ['useradd', 'usermod', 'userdel', 'groupadd', 'getent'] });
rootTest('converge on this machine: group and user created, changed, as wanted again, removed; check mode changes nothing', async () => {
  cleanup();
  try {
    const t = new CountingTransport();
    const step = async (mod: string, params: Record<string, unknown>, want: string) => {
      const c = await run(mod, params, { check: true, transport: t });
      assert.is(c.status, want, `check ${mod} ${JSON.stringify(params)}: ${c.reason}`);
      const r = await run(mod, params, { transport: t });
      assert.is(r.status, want, `${mod} ${JSON.stringify(params)}: ${r.reason}`);
      const again = await run(mod, params, { transport: t });
      assert.is(again.status, 'ok', `again ${mod}: ${again.reason}`);
      return r;
    };
    const g = await step('group', { name: G, system: true }, 'changed');
    assert.type(g.data.gid, 'number');
    const u = await step('user', { name: U, groups: [G], shell: '/bin/sh', comment: 'kvplay test', home: HOME, password: '$6$kvplay$notarealhashatall' }, 'changed');
    assert.is(u.data.shell, '/bin/sh');
    assert.is(u.data.password, 'NOT_LOGGING_PASSWORD');
    assert.ok(existsSync(HOME));
    assert.match(execSync(`id -nG ${U}`, { encoding: 'utf8' }), G);
    assert.is(execSync(`getent shadow ${U} | cut -d: -f2`, { shell: '/bin/sh', encoding: 'utf8' }).trim(), '$6$kvplay$notarealhashatall');
    await step('user', { name: U, shell: '/bin/bash', password_lock: true }, 'changed');
    await step('user', { name: U, groups: [], append: false }, 'changed');
    assert.not.match(execSync(`id -nG ${U}`, { encoding: 'utf8' }), G);
    await step('user', { name: U, state: 'absent', remove: true }, 'changed');
    assert.not.ok(existsSync(HOME));
    await step('group', { name: G, state: 'absent' }, 'changed');
    assert.is(execSync(`getent group ${G}; true`, { shell: '/bin/sh', encoding: 'utf8' }), '');
    // the password hash never appeared on a command line kvplay ran
    assert.not.ok(t.execs.some((c) => c.includes('notarealhash')), 'hash on a command line');
  } finally {
    cleanup();
  }
});

test.run();
