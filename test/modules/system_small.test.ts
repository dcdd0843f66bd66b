/**
 * hostname, timezone, modprobe, tempfile (src/modules/*.ts): pure planning from recorded facts,
 * and check mode on THIS machine (its hostname, time zone and kernel modules are never changed).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, statSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { parseHostnameFacts, planHostname } from '../../src/modules/hostname.js';
import { parseTimezoneFacts, planTimezone } from '../../src/modules/timezone.js';
import { parseModprobeFacts, planModprobe } from '../../src/modules/modprobe.js';
import { planTempfile } from '../../src/modules/tempfile.js';
import { CountingTransport, rmDir, run, tempDir } from './helpers.js';
import { requires } from '../harness/gate.js';
import { sectionsOutput } from '../harness/sections.js';

const cmds = (p: ReturnType<typeof planHostname>) => (p.kind === 'change' ? p.steps.map((s) => s.cmd) : []);

test('hostname: systemd (hostnamectl static, then transient) or the Debian file strategy; results and diff as Ansible', () => {
  const sd = parseHostnameFacts(sectionsOutput({ systemd: 'yes', transient: 'old', static: 'old', file: 'old', os: 'debian', fqdn: 'old.example' }));
  const p = planHostname({ name: 'new.example' }, sd);
  assert.equal(cmds(p).slice(0, 2), ["hostnamectl --pretty --static set-hostname new.example", "hostnamectl --transient set-hostname new.example"]);
  assert.ok(p.kind === 'change' && p.diff![0].before === 'hostname = old\n' && p.diff![0].after === 'hostname = new.example\n');
  assert.equal((p.result as any).ansible_facts, { ansible_hostname: 'new', ansible_nodename: 'new.example', ansible_fqdn: 'old.example', ansible_domain: 'example' });
  assert.is(planHostname({ name: 'old' }, sd).kind, 'ok');
  const file = parseHostnameFacts(sectionsOutput({ systemd: '', transient: '', static: '', file: 'vm', os: 'debian', fqdn: 'localhost' }));
  assert.is(planHostname({ name: 'vm' }, file).kind, 'ok');
  assert.equal(cmds(planHostname({ name: 'vm2' }, file))[0], "printf '%s\\n' vm2 > /etc/hostname");
  assert.throws(() => planHostname({ name: 'x'.repeat(65) }, sd), /cannot be longer than 64 characters/);
  assert.throws(() => planHostname({ name: 'x', use: 'redhat' }, sd), /not supported by kvplay/);
  assert.throws(() => planHostname({ name: 'x' }, { ...file, osId: 'alpine' }), /not supported by kvplay/);
});

test('timezone: timedatectl or /etc/timezone + /etc/localtime; an unknown zone fails; hwclock', () => {
  const sd = parseTimezoneFacts(sectionsOutput({ systemd: 'yes', zone: 'UTC', rtc: 'no', exists: 'yes' }));
  assert.is(planTimezone({ name: 'UTC' }, sd).kind, 'ok');
  const c = planTimezone({ name: 'Europe/Paris', hwclock: 'local' }, sd);
  assert.ok(c.kind === 'change');
  if (c.kind === 'change') assert.equal(c.steps.map((s) => s.cmd), ['timedatectl set-timezone Europe/Paris', 'timedatectl set-local-rtc yes']);
  const deb = parseTimezoneFacts(sectionsOutput({ systemd: '', zone: 'Etc/UTC', rtc: '', exists: 'yes' }));
  const d = planTimezone({ name: 'Europe/Paris' }, deb);
  assert.ok(d.kind === 'change' && d.steps[1].cmd === 'ln -sfn /usr/share/zoneinfo/Europe/Paris /etc/localtime');
  assert.throws(() => planTimezone({ name: 'Mars/Olympus' }, { ...deb, zoneExists: false }), /given timezone "Mars\/Olympus" is not available/);
  assert.throws(() => planTimezone({ hwclock: 'local' }, deb), /only with systemd/);
});

test('modprobe: /proc/modules (- as _) and built-in modules count as loaded; load with params, unload', () => {
  const f = parseModprobeFacts('br-netfilter', sectionsOutput({ modules: 'br_netfilter\next4', builtin: 'loop' }));
  assert.is(f.loaded, true);
  assert.is(planModprobe({ name: 'br-netfilter' }, f).kind, 'ok');
  const off = parseModprobeFacts('dummy', sectionsOutput({ modules: 'ext4', builtin: '' }));
  const p = planModprobe({ name: 'dummy', params: 'numdummies=2' }, off);
  assert.ok(p.kind === 'change' && p.steps[0].cmd === 'modprobe dummy numdummies=2');
  assert.equal(p.result, { name: 'dummy', params: 'numdummies=2', state: 'present' });
  const rm = planModprobe({ name: 'br_netfilter', state: 'absent' }, f);
  assert.ok(rm.kind === 'change' && rm.steps[0].cmd === 'modprobe -r br_netfilter');
  assert.is(planModprobe({ name: 'loop' }, parseModprobeFacts('loop', sectionsOutput({ modules: '', builtin: 'loop' }))).kind, 'ok');
});

test('tempfile: mktemp with prefix, 8 random characters, suffix; skipped in check mode as Ansible', () => {
  const p = planTempfile({ state: 'directory', path: '/srv/t', prefix: 'x.', suffix: '.d' }, { check: false });
  assert.ok(p.kind === 'change' && p.steps[0].cmd === 'mktemp -d --tmpdir=/srv/t --suffix=.d x.XXXXXXXX');
  assert.equal(planTempfile({}, { check: true }).result, { skipped: true, msg: 'remote module (tempfile) does not support check mode' });
});

test('tempfile on this machine: a file (0600) and a directory (0700) with the path registered', async () => {
  const d = tempDir('kvplay-tempfile-');
  try {
    const f = await run('tempfile', { path: d, suffix: '.txt' });
    assert.is(f.status, 'changed');
    assert.match(String(f.data.path), new RegExp(`^${d}/ansible\\.[A-Za-z0-9]{8}\\.txt$`));
    assert.is(statSync(String(f.data.path)).mode & 0o777, 0o600);
    const dd = await run('tempfile', { path: d, state: 'directory', prefix: 'kv' });
    assert.ok(statSync(String(dd.data.path)).isDirectory());
    const c = await run('tempfile', { path: d }, { check: true });
    assert.is(c.skipped, true);
    assert.is(readdirSync(d).length, 2, 'check mode created nothing');
  } finally {
    rmDir(d);
  }
});

const here = requires({ tools: ['hostname', 'getent'] });
here('check mode on this machine: its own hostname is ok, another is a predicted change; nothing runs', async () => {
  const t = new CountingTransport();
  const own = await run('hostname', { name: osHostname() }, { check: true, transport: t });
  assert.is(own.status, 'ok', own.reason);
  const other = await run('hostname', { name: 'kvplay-test-name' }, { check: true, transport: t });
  assert.is(other.status, 'changed');
  const tz = await run('timezone', { name: 'Etc/UTC' }, { check: true, transport: t });
  assert.ok(tz.status === 'ok' || tz.status === 'changed', tz.reason);
  const nomod = await run('modprobe', { name: 'kvplay-test-nomod', state: 'absent' }, { check: true, transport: t });
  assert.is(nomod.status, 'ok');
  assert.equal(t.execs, [], 'check mode ran no step');
});

test.run();
