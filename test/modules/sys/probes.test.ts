/**
 * Cheaper probes (issue 14, speed round 2): each remote process and D-Bus call of a no-change run
 * costs on a busy host, so the fact scripts make fewer, and facts several tasks read are read once.
 *   - package: `apt-cache policy` only for names that are not installed (or for latest);
 *   - host facts: files read by the shell, `id` once (counted through a PATH shim on this machine);
 *   - firewalld: the zone in 3 busctl calls (recorded on the lab), the firewall-cmd fact skipped
 *     when the cached zone fact shows firewalld on D-Bus (Fact.skipIfCached);
 *   - ~/.ssh files: one read per loop (Fact.cache);
 *   - virsh sections at once (sectionScript parallel), and the -vvv command labels.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parsePkgFacts, pkgFactCmd } from '../../../src/facts/packages.js';
import { planPackage } from '../../../src/modules/package.js';
import { FACTS_SCRIPT, parseFacts } from '../../../src/facts/host.js';
import { parseZoneFact, zoneFactCmd } from '../../../src/facts/firewalld.js';
import { itemFacts, parseFwFacts, planFirewalld } from '../../../src/modules/firewalld.js';
import { probeWarmCmd } from '../../../src/modules/virt/probe.js';
import { commandLabel } from '../../../src/engine/timing.js';
import { applyModule } from '../../../src/engine/apply.js';
import { loadModule } from '../../../src/engine/module/registry.js';
import type { ExecResult, Transport } from '../../../src/transport/types.js';
import { CountingTransport, makeCtx } from '../helpers.js';
import { sectionsOutput } from '../../harness/sections.js';
import { fx, pctx } from './helpers.js';
import { parseSections, sectionScript } from '../../../src/facts/sections.js';

const sh = (script: string, env: Record<string, string> = {}) => spawnSync('sh', ['-c', script], { encoding: 'utf8', env: { ...process.env, ...env } });

/** A dir of stub commands: each logs "name args" to `log` and runs `body` (sh). */
function stubs(cmds: Record<string, string>): { dir: string; log: string; calls(): string[]; done(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'kvplay-stubs-'));
  const log = join(dir, 'calls.log');
  writeFileSync(log, '');
  for (const [name, body] of Object.entries(cmds)) {
    writeFileSync(join(dir, name), `#!/bin/sh\necho "${name} $*" >> ${log}\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  }
  return { dir, log, calls: () => readFileSync(log, 'utf8').split('\n').filter(Boolean), done: () => rmSync(dir, { recursive: true, force: true }) };
}

test('apt facts (recorded on the lab): every package installed -> no candidates asked; ok', () => {
  const names = ['libvirt-daemon-system', 'libvirt-clients', 'qemu-system-x86', 'qemu-utils'];
  const text = fx('apt-facts2-installed-kvm1.txt');
  assert.match(text, /@@kvplay-section candidates\n\n@@kvplay-section-rc candidates 1\n/, 'the recording has no apt-cache output');
  const f = parsePkgFacts(text, names);
  for (const n of names) assert.ok(f.pkgs[n].installed && f.pkgs[n].known, n);
  assert.is(f.pkgs['qemu-utils'].version, '1:7.2+dfsg-7+deb12u18+b3');
  const plan = planPackage({ name: names, state: 'present', update_cache: true }, f, pctx());
  assert.is(plan.kind, 'ok');
});

test('apt facts (recorded on the lab): candidates only for the missing names', () => {
  const names = ['qemu-utils', 'hello', 'no-such-pkg'];
  const f = parsePkgFacts(fx('apt-facts2-missing-kvm1.txt'), names);
  assert.is(f.pkgs['qemu-utils'].installed, true);
  assert.equal([f.pkgs.hello.installed, f.pkgs.hello.candidate, f.pkgs.hello.known], [false, '2.10-3', true]);
  assert.equal([f.pkgs['no-such-pkg'].installed, f.pkgs['no-such-pkg'].known], [false, false]);
  assert.throws(() => planPackage({ name: names }, f, pctx()), /no package no-such-pkg available/);
});

test('the package fact script runs apt-cache policy only where a candidate matters (stub dpkg-query/apt-cache)', () => {
  const s = stubs({
    // bash and coreutils installed, 'rc' for old-pkg (config files left), nothing for the others
    'dpkg-query': `printf 'bash\\tii \\t5.2\\ncoreutils\\tii \\t9.1\\nold-pkg\\trc \\t1.0\\n'`,
    'apt-cache': 'exit 0',
    date: 'echo 1700000000',
    stat: 'exit 1',
  });
  try {
    const run = (names: string[], latest: boolean) => {
      writeFileSync(s.log, '');
      const r = sh(pkgFactCmd('apt', names, latest), { PATH: `${s.dir}:${process.env.PATH}` });
      assert.is(r.status, 0, r.stderr);
      return s.calls().filter((c) => c.startsWith('apt-cache'));
    };
    assert.equal(run(['bash', 'coreutils'], false), [], 'all installed: no apt-cache');
    assert.equal(run(['bash', 'hello', 'old-pkg'], false), ['apt-cache policy hello old-pkg'], 'only the names not installed');
    assert.equal(run(['bash', 'coreutils'], true), ['apt-cache policy bash coreutils'], 'latest: every name');
  } finally {
    s.done();
  }
});

test('host facts: the same sections as the commands they replace, with few processes (PATH shim on this machine)', () => {
  const tools = ['hostname', 'uname', 'cat', 'id', 'grep', 'awk', 'nproc', 'ip', 'pidof', 'pgrep', 'getenforce', 'sed', 'cut', 'dirname'];
  const real = (t: string) => spawnSync('sh', ['-c', `command -v ${t}`], { encoding: 'utf8' }).stdout.trim();
  const present = tools.filter((t) => real(t));
  const s = stubs(Object.fromEntries(present.map((t) => [t, `exec ${real(t)} "$@"`])));
  try {
    const r = sh(FACTS_SCRIPT, { PATH: `${s.dir}:${process.env.PATH}` });
    assert.is(r.status, 0, r.stderr);
    const calls = s.calls();
    // hostname -f, uname -m, awk, nproc, ip x3, id, pidof: the rest is read by the shell
    assert.ok(calls.length <= 10, `external commands: ${calls.length}: ${calls.join(' | ')}`);
    const f = parseFacts(r.stdout) as Record<string, unknown>;
    const one = (cmd: string) => spawnSync('sh', ['-c', cmd], { encoding: 'utf8' }).stdout.trim();
    assert.is(f.nodename, one('hostname'));
    assert.is(f.kernel, one('uname -r'));
    assert.is(f.kernel_version, one('uname -v'));
    assert.is(f.system, one('uname -s'));
    assert.is(f.machine, one('uname -m'));
    assert.equal([f.user_id, f.user_uid, f.user_gid, f.user_gname], [one('id -un'), Number(one('id -u')), Number(one('id -g')), one('id -gn')]);
    assert.is(f.memtotal_mb, Math.floor(Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))![1]) / 1024));
    if (existsSync('/etc/os-release')) assert.ok(typeof f.distribution === 'string' && f.distribution !== 'Linux');
  } finally {
    s.done();
  }
});

test('firewalld zone fact (recorded on the lab): found by name, or listed to tell it is not there; stopped', () => {
  const pub = parseZoneFact(fx('firewalld-zone2-dbus-public-nfs.txt'));
  assert.is(pub.dbus, true);
  assert.is(pub.zone, 'public');
  assert.equal(pub.zones, ['public'], 'found by name: no listing');
  assert.ok(pub.perm!.services.includes('nfs') && pub.rt!.services.includes('mountd'));
  const p = { service: 'nfs', zone: 'public', permanent: true, immediate: true, state: 'enabled' as const };
  const viaBus = planFirewalld(p, itemFacts(p, pub, parseFwFacts('')), pctx());
  assert.equal(viaBus, planFirewalld(p, parseFwFacts(fx('firewalld-running-nfs.txt')), pctx()), 'the same plan as from firewall-cmd');
  const nosuch = parseZoneFact(fx('firewalld-zone2-dbus-nosuch-nfs.txt'));
  assert.is(nosuch.perm, undefined);
  assert.ok(nosuch.zones.includes('public') && !nosuch.zones.includes('nosuch'));
  const q = { service: 'nfs', zone: 'nosuch', state: 'enabled' as const };
  assert.throws(() => planFirewalld(q, itemFacts(q, nosuch, parseFwFacts('')), pctx()), /does not exist/);
  assert.is(parseZoneFact(fx('firewalld-zone2-stopped-kvm1.txt')).dbus, false);
  // the default zone is asked only without a zone (or when the zone's runtime settings do not come)
  assert.match(zoneFactCmd('public'), /elif dz=\$\(busctl call [^\n]*getDefaultZone/);
  assert.match(zoneFactCmd(), /^\{ z=''; ok=no; rt=; p=$/m);
});

/** Answers the firewalld facts from recordings and counts what runs. */
class FwRecorded implements Transport {
  readonly name = 'nfs';
  calls: string[] = [];
  async connect() {}
  async close() {}
  async execMany(cmds: string[]): Promise<ExecResult[]> {
    this.calls.push(...cmds);
    return cmds.map((c) => ({ code: 0, stdout: c.includes('getZoneSettings2') ? fx('firewalld-zone2-dbus-public-nfs.txt') : sectionsOutput({ dbus: 'yes', installed: '', offline: '', running: '', zone: '', zones: '', perm: '', rt: '' }), stderr: '' }));
  }
  async exec(cmd: string): Promise<ExecResult> {
    this.calls.push(cmd);
    return { code: 0, stdout: '', stderr: '' };
  }
}

test('firewalld loop: the zone is read once and the firewall-cmd fact only with it (skipIfCached)', async () => {
  const mod = (await loadModule('firewalld'))!;
  const t = new FwRecorded();
  const ctx = makeCtx({ transport: t, factCache: new Map() });
  for (const service of ['rpc-bind', 'nfs', 'mountd']) {
    const out = await applyModule(mod, { service, zone: 'public', permanent: true, immediate: true, state: 'enabled' }, ctx);
    assert.is(out.status, 'ok', `${service}: ${out.reason}`);
  }
  assert.is(t.calls.filter((c) => c.includes('getZoneSettings2')).length, 1, 'zone read once');
  assert.is(t.calls.filter((c) => c.includes('--query-service')).length, 1, 'firewall-cmd fact read with the first item only');
  // a rich rule still needs firewall-cmd
  await applyModule(mod, { rich_rule: 'rule service name=nfs accept', zone: 'public', state: 'enabled' }, ctx).catch(() => undefined);
  assert.is(t.calls.filter((c) => c.includes('--query-rich-rule')).length, 1);
});

/** A host whose ~/.ssh/known_hosts holds the keys of `names`; counts the reads of the file. */
class SshFiles implements Transport {
  readonly name = 'kvm1';
  reads = 0;
  constructor(private readonly text: string) {}
  async connect() {}
  async close() {}
  async execMany(cmds: string[]): Promise<ExecResult[]> {
    return cmds.map((c) => {
      if (!c.includes('getent passwd')) return { code: 0, stdout: '', stderr: '' };
      this.reads++;
      const st = '81a4:0:0:100:1700000000:1:1:1:root:root';
      return { code: 0, stdout: sectionsOutput({ pw: 'root:x:0:0:root:/root:/bin/bash', path: '/root/.ssh/known_hosts', symlink: '', dir: '41c0:0:0:4096:1700000000:2:1:2:root:root', stat: st, content: Buffer.from(this.text).toString('base64') }), stderr: '' };
    });
  }
  async exec(): Promise<ExecResult> {
    return { code: 0, stdout: '', stderr: '' };
  }
}

test('known_hosts loop: the file is read once for every item (Fact.cache) until something changes', async () => {
  const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMkBGv1TaH0Y3nU6wQ0q8E3o5I3Pq9k3j7v1b2c3d4e5';
  const names = ['kvm1', 'kvm2', '10.0.0.2', '10.0.0.3'];
  const t = new SshFiles(names.map((n) => `${n} ${key}\n`).join(''));
  const mod = (await loadModule('known_hosts'))!;
  const ctx = makeCtx({ transport: t, factCache: new Map() });
  for (const name of names) {
    const out = await applyModule(mod, { name, key, user: 'root' }, ctx);
    assert.is(out.status, 'ok', `${name}: ${out.reason}`);
  }
  assert.is(t.reads, 1, 'one read for four items');
  const added = await applyModule(mod, { name: 'kvm3', key, user: 'root' }, ctx);
  assert.is(added.status, 'changed');
  assert.is(t.reads, 1, 'the fifth item too (nothing had changed)');
  await applyModule(mod, { name: 'kvm1', key, user: 'root' }, ctx);
  assert.is(t.reads, 2, 'after a change the file is read again');
});

test('lineinfile loop over one file: read once (Fact.cache), again after a change', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvplay-edit-'));
  try {
    const f = join(dir, 'conf');
    writeFileSync(f, 'ON_BOOT=start\nON_SHUTDOWN=shutdown\nSHUTDOWN_TIMEOUT=120\n');
    const t = new CountingTransport();
    const ctx = makeCtx({ transport: t, factCache: new Map() });
    const mod = (await loadModule('lineinfile'))!;
    for (const [k, v] of [['ON_BOOT', 'start'], ['ON_SHUTDOWN', 'shutdown'], ['SHUTDOWN_TIMEOUT', '120']]) {
      const out = await applyModule(mod, { path: f, regexp: `^#?${k}=`, line: `${k}=${v}` }, ctx);
      assert.is(out.status, 'ok', out.reason);
    }
    assert.is(t.manyCalls, 1, 'three items, one read');
    assert.is((await applyModule(mod, { path: f, line: 'X=1' }, ctx)).status, 'changed');
    assert.is((await applyModule(mod, { path: f, line: 'X=1' }, ctx)).status, 'ok', 'the change is seen');
    assert.is(t.manyCalls, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sectionScript parallel: the same sections and exit codes, in the time of the slowest', () => {
  const cmds: [string, string][] = [['a', 'sleep 0.4; echo A; exit 3'], ['b', 'echo B >&2; sleep 0.4'], ['c', 'printf "x\\ny"']];
  const t0 = Date.now();
  const par = sh(sectionScript(cmds, { mode: 'parallel' }));
  const ms = Date.now() - t0;
  const seq = sh(sectionScript(cmds));
  assert.equal(parseSections(par.stdout), parseSections(seq.stdout));
  assert.equal({ ...parseSections(par.stdout) }, { a: { out: 'A', rc: 3 }, b: { out: 'B', rc: 0 }, c: { out: 'x\ny', rc: 0 } });
  assert.ok(ms < 750, `parallel took ${ms} ms (sequential: 800 ms of sleeps)`);
});

test('migrate probe warm-up: waits on the host for two answers, at most the limit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvplay-ping-'));
  try {
    const f = join(dir, 'ping');
    let t0 = Date.now();
    sh(`(sleep 0.2; echo '[1.0] 64 bytes from x: icmp_seq=1' >> ${f}; sleep 0.2; echo '[1.2] 64 bytes from x: icmp_seq=2' >> ${f}) & ${probeWarmCmd(f, 2, 1)}`);
    const answered = Date.now() - t0;
    t0 = Date.now();
    sh(probeWarmCmd(join(dir, 'none'), 2, 0.5));
    const silent = Date.now() - t0;
    assert.ok(answered >= 350 && answered < 900, `two answers after 0.4 s: returned after ${answered} ms`);
    assert.ok(silent >= 450 && silent < 1000, `no answer: returned after ${silent} ms (limit 0.5 s)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('-vvv command labels: kvplay\'s framing stripped', () => {
  assert.is(commandLabel(sectionScript([['info', 'virsh pool-info p'], ['xml', 'virsh pool-dumpxml p']], { mode: 'parallel' })), 'virsh pool-info p; virsh pool-dumpxml p');
  const wrapped = "kvplay_exe=virsh; kvplay_e=\ncase $kvplay_exe in\n  */*) x ;;\n  *) command -v -- \"$kvplay_exe\" >/dev/null 2>&1 || kvplay_e='2] No' ;;\nesac\nif [ -n \"$kvplay_e\" ]; then printf x; exit 127; fi\nvirsh capabilities";
  assert.is(commandLabel(wrapped), 'virsh capabilities');
  assert.is(commandLabel('LC_ALL=C; export LC_ALL\necho   a\n'), 'echo a');
  assert.is(commandLabel('x'.repeat(300), 20).length, 20);
});

test.run();
