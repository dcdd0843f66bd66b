/**
 * --explain, pure: from facts recorded on the lab hosts (test/modules/sys/fixtures) to the lines a
 * student reads: what was checked (as the command a student would type) and found, the commands
 * kvplay runs as plain shell (framing shown as what it means), and every renderer showing them
 * with secrets redacted. The CLI on real hosts: test/e2e/explain.test.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModule } from '../../src/engine/module/registry.js';
import { coerceParams } from '../../src/engine/module/validate.js';
import { applyModule } from '../../src/engine/apply.js';
import { explainCollector, planExplanation } from '../../src/engine/explain.js';
import type { Explanation, ModuleCtx } from '../../src/engine/module/types.js';
import type { ExecResult } from '../../src/transport/types.js';
import { catInto, plainShell } from '../../src/engine/module/explain.js';
import { PROBES, sectionScript } from '../../src/facts/sections.js';
import { createReporter, buildReport } from '../../src/report/index.js';
import { explanationLines } from '../../src/report/format.js';
import { captureStream } from '../harness/reporter.js';
import type { RunEvent } from '../../src/report/events.js';
import type { StampedEvent } from '../../src/report/json.js';
import { CountingTransport, makeCtx } from '../modules/helpers.js';
import { sectionsOutput } from '../harness/sections.js';
import { fx, res } from '../modules/sys/helpers.js';

/** The output of fileFact (src/facts/file.ts) for a regular file with this content. */
function fileOut(content: string, o: { mode?: number; checksum?: string; withContent?: boolean } = {}): string {
  const mode = (0o100000 | (o.mode ?? 0o644)).toString(16);
  const stat = `${mode}:0:0:${Buffer.byteLength(content)}:1700000000:42:2049:1:root:root`;
  // the file fact's sections (src/facts/file.ts); the ones the fact did not ask for are ignored
  return sectionsOutput({ umask: '0022', parent: { out: '', rc: 0 }, lstat: stat, target: '', stat: '', realpath: '', checksum: o.checksum ? `${o.checksum}  -` : '', omitted: o.withContent === false ? { out: '', rc: 0 } : '', content: o.withContent === false ? '' : Buffer.from(content).toString('base64') });
}

/** Plan a module on recorded fact outputs (by fact name) and explain it, as the engine does. */
async function explainWith(name: string, params: Record<string, unknown>, outputs: Record<string, ExecResult>, over: Partial<ModuleCtx> = {}): Promise<Explanation> {
  const mod = (await loadModule(name))!;
  const ctx = makeCtx({ check: true, diff: false, ...over });
  const p = coerceParams(mod, params); // aliases resolved, values coerced (validate.ts)
  const prep = mod.prepare ? await mod.prepare(p, ctx) : undefined;
  const defs = mod.facts ? mod.facts(p, ctx, prep) : {};
  const facts: Record<string, unknown> = {};
  for (const [n, d] of Object.entries(defs)) {
    if (!outputs[n]) throw new Error(`no recorded output for fact ${n}`);
    facts[n] = d.parse(outputs[n]);
  }
  return planExplanation(mod, p, facts, mod.plan!(p, facts, ctx, prep), ctx, prep);
}

const cmds = (ex: Explanation) => ex.runs.map((r) => r.cmd);

test('firewalld over D-Bus: the zone read shown as firewall-cmd --list-services, the changes as firewall-cmd', async () => {
  const ex = await explainWith('firewalld', { service: 'http', zone: 'public', permanent: true, immediate: true, state: 'enabled' }, {
    zone: res(fx('firewalld-zone-dbus-nfs.txt')),
    fw: res('@@ dbus\nyes\n'),
  });
  assert.equal(ex.checked.map((c) => c.cmd), ['firewall-cmd --permanent --zone=public --list-services', 'firewall-cmd --zone=public --list-services']);
  assert.is(ex.checked[0].found, 'ssh dhcpv6-client rpc-bind nfs mountd (http is not)');
  assert.equal(cmds(ex), ['firewall-cmd --permanent --zone=public --add-service=http', 'firewall-cmd --zone=public --add-service=http']);
  assert.equal(ex.runs.map((r) => r.why), ['add service http (permanent, zone public)', 'add service http (runtime, zone public)']);
  assert.is(ex.reason, 'service http: enabled in zone public (permanent + runtime)');
  assert.is(ex.check, true);
  // nothing of busctl, D-Bus object paths or section markers leaks into what a student reads
  assert.not.match(JSON.stringify(ex), /busctl|getZoneSettings2|@@|org\.fedoraproject/);
  // already there: checked, nothing runs
  const ok = await explainWith('firewalld', { service: 'nfs', permanent: true, immediate: true, state: 'enabled' }, {
    zone: res(fx('firewalld-zone-dbus-nfs.txt')),
    fw: res('@@ dbus\nyes\n'),
  });
  assert.is(ok.checked[0].cmd, 'firewall-cmd --get-default-zone', 'no zone given: the default zone is what was asked');
  assert.is(ok.checked[0].found, 'public');
  assert.match(ok.checked[1].found, /\(nfs is among them\)$/);
  assert.equal(ok.runs, []);
});

test('firewalld without D-Bus: the --query commands firewall-cmd (or firewall-offline-cmd) answered', async () => {
  const ex = await explainWith('firewalld', { service: 'nfs', permanent: true, state: 'enabled' }, {
    zone: res(fx('firewalld-zone-stopped-kvm1.txt')),
    fw: res(fx('firewalld-stopped-kvm1.txt')),
  });
  assert.equal(ex.checked, [
    { cmd: 'firewall-cmd --state', found: 'not running' },
    { cmd: 'firewall-offline-cmd --get-default-zone', found: 'public' },
    { cmd: 'firewall-offline-cmd --zone=public --query-service=nfs', found: 'no' },
  ]);
  assert.equal(cmds(ex), ['firewall-offline-cmd --zone=public --add-service=nfs']);
  const running = await explainWith('firewalld', { service: 'nfs', zone: 'public', permanent: true, immediate: true, state: 'enabled' }, {
    zone: res(fx('firewalld-zone-stopped-kvm1.txt')),
    fw: res(fx('firewalld-running-nfs.txt')),
  });
  assert.ok(running.checked.some((c) => c.cmd === 'firewall-cmd --permanent --zone=public --query-service=nfs' && c.found === 'yes'));
  assert.ok(running.checked.some((c) => c.cmd === 'firewall-cmd --zone=public --query-service=nfs' && c.found === 'yes'));
});

test('nfs_export: /etc/exports as cat shows it, the write as a here-document, exportfs -ra as is', async () => {
  const old = fx('exports-nfs-kernel.txt');
  const ex = await explainWith('nfs_export', { path: '/srv/share', clients: ['10.0.0.2'], options: 'rw,sync,no_root_squash', reload: true }, { file: res(fileOut(old)) });
  assert.is(ex.checked[0].cmd, 'cat /etc/exports');
  assert.match(ex.checked[0].found, /^11 lines; \/srv\/share is not exported$/);
  const [write, reload] = ex.runs;
  assert.is(write.why, 'write /etc/exports');
  const lines = write.cmd.split('\n');
  assert.match(lines[0], /^cp -p \/etc\/exports \/etc\/exports\.\$\(date \+%Y%m%dT%H%M%S\)\.kvplay~$/, 'the backup kvplay makes of a file under /etc');
  assert.is(lines[1], "cat > /etc/exports <<'EOF'");
  assert.is(lines.slice(2, -2).join('\n') + '\n', `${old}/srv/share 10.0.0.2(rw,sync,no_root_squash)\n`, 'the here-document holds exactly the new file');
  assert.equal(lines.slice(-2), ['EOF', 'chmod 0644 /etc/exports']);
  assert.not.match(write.cmd, /mktemp|kvplay-XXXXXX|trap|chcon|mv -f/, 'the temp file and rename are framing');
  assert.equal(reload, { cmd: 'exportfs -ra', why: 'exportfs -ra' });
  const present = await explainWith('nfs_export', { path: '/nfsshare', clients: ['10.237.30.2', '10.237.30.3'], options: ['rw', 'sync', 'no_root_squash', 'no_subtree_check'] }, { file: res(fileOut(old)) });
  assert.match(present.checked[0].found, /11 lines; \/nfsshare 10\.237\.30\.2\(rw,sync,no_root_squash,no_subtree_check\) 10\.237\.30\.3\(/);
  assert.equal(present.runs, []);
});

test('mount: findmnt, the fstab line written, and `mount /kvm/disk` with what that line says', async () => {
  const params = { path: '/kvm/disk', src: 'nfs:/nfsshare', fstype: 'nfs', opts: 'defaults,_netdev', state: 'mounted' };
  const ex = await explainWith('mount', params, {
    file: res(fileOut('# UNCONFIGURED FSTAB FOR BASE SYSTEM\n')),
    live: res(fx('mountinfo-kvm1.txt').split('\n').filter((l) => !l.includes(' /kvm/disk ')).join('\n')),
    dir: res('', 1),
    systemd: res('', 0),
  });
  assert.ok(ex.checked.some((c) => c.cmd === 'findmnt /kvm/disk' && c.found === 'not mounted'));
  assert.ok(ex.checked.some((c) => c.cmd === 'test -d /kvm/disk && echo yes' && /missing/.test(c.found)));
  const shell = cmds(ex);
  assert.match(shell[0], /^cp -p \/etc\/fstab .*\ncat > \/etc\/fstab <<'EOF'\n# UNCONFIGURED FSTAB FOR BASE SYSTEM\nnfs:\/nfsshare \/kvm\/disk nfs defaults,_netdev 0 0\nEOF\nchmod 0644 \/etc\/fstab$/);
  assert.equal(shell.slice(1), ['systemctl daemon-reload', 'mkdir -p -- /kvm/disk', 'mount /kvm/disk   # = mount -t nfs -o defaults,_netdev nfs:/nfsshare /kvm/disk, from its /etc/fstab line']);
  const mounted = await explainWith('mount', { ...params, src: '10.237.30.4:/nfsshare' }, {
    file: res(fileOut('10.237.30.4:/nfsshare /kvm/disk nfs defaults,_netdev 0 0\n')),
    live: res(fx('mountinfo-kvm1-nfs.txt')),
    dir: res(''),
    systemd: res(''),
  });
  assert.ok(mounted.checked.some((c) => c.cmd === 'findmnt /kvm/disk' && /^10\.237\.30\.4:\/nfsshare mounted, type nfs4/.test(c.found)));
});

test('copy: the content as a here-document (printf without a final newline, a note for binary or big content)', async () => {
  const missing = res(sectionsOutput({ umask: '0022', parent: { out: '', rc: 0 }, lstat: { out: '', rc: 0 }, target: '', stat: '', realpath: '', checksum: '', omitted: '', content: '' }));
  const ex = await explainWith('copy', { dest: '/etc/motd', content: 'hello\nstudents\n', mode: '0644' }, { dest: missing });
  assert.equal(ex.checked, [{ cmd: 'ls -ld /etc/motd', found: 'missing' }]);
  assert.equal(cmds(ex), ["cat > /etc/motd <<'EOF'\nhello\nstudents\nEOF\nchmod 0644 /etc/motd"]);
  const noNl = await explainWith('copy', { dest: '/tmp/x', content: "it's", owner: '0' }, { dest: missing });
  assert.equal(cmds(noNl), ["printf '%s' 'it'\\''s' > /tmp/x\nchmod 0644 /tmp/x\nchown 0 /tmp/x"]);
  const eofInside = await explainWith('copy', { dest: '/tmp/x', content: 'a\nEOF\n' }, { dest: missing });
  assert.match(cmds(eofInside)[0], /^cat > \/tmp\/x <<'EOF1'\na\nEOF\nEOF1\n/, 'a line EOF in the content gets another delimiter');
  const bin = await explainWith('copy', { dest: '/tmp/b', content: Buffer.from([0, 1, 2, 255]) }, { dest: missing });
  assert.match(cmds(bin)[0], /^cat > \/tmp\/b   # stdin: <binary content of 4 bytes>$/m);
  const big = await explainWith('copy', { dest: '/tmp/big', content: 'x\n'.repeat(500) }, { dest: missing });
  assert.match(cmds(big)[0], /^cat > \/tmp\/big   # stdin: <content of 1000 bytes, 500 lines>$/m);
  // an existing file: what ls shows of it
  const there = await explainWith('copy', { dest: '/srv/a', content: 'new\n' }, { dest: res(fileOut('old\n', { checksum: 'ab'.repeat(32), withContent: false, mode: 0o600 })) });
  assert.match(there.checked[0].found, new RegExp(`^file 0600 root:root, 4 bytes, sha(1|256) ${'ab'.repeat(6)}…$`));
});

test('generic fallback: sections, their wrappers and base64 framing stripped; a user\'s shell script shown as written', async () => {
  const facts = sectionScript([['info', 'virsh pool-info kvm'], ['target', 'test -d /kvm/disk']]);
  assert.is(plainShell(facts), 'virsh pool-info kvm\ntest -d /kvm/disk');
  assert.is(plainShell(sectionScript([['mgr', 'echo systemd'], ['x', 'echo "$m"']], { ...PROBES, prelude: 'm=1' })), 'm=1\necho systemd\necho "$m"');
  const b64 = Buffer.from('[Match]\nName=br0\n').toString('base64');
  assert.is(plainShell(`mkdir -p /etc/x\nprintf %s '${b64}' | base64 -d > /etc/x/a.network`), "mkdir -p /etc/x\ncat > /etc/x/a.network <<'EOF'\n[Match]\nName=br0\nEOF");
  assert.is(catInto('/f', ''), ': > /f');
  const shell = await explainWith('shell', { cmd: 'set -e\necho hi | base64\nexit 0', stdin: 'data' }, {});
  assert.equal(cmds(shell), ['set -e\necho hi | base64\nexit 0   # stdin: <content of 5 bytes, 1 line>'], 'what the user wrote is not framing');
  const cmd = await explainWith('command', { cmd: 'exportfs -ra', creates: '/etc/x*' }, { creates: res('', 1) });
  assert.equal(cmd.checked, [{ cmd: 'ls -d /etc/x*', found: 'nothing there' }]);
  assert.equal(cmds(cmd), ['exportfs -ra']);
  const pool = await explainWith('libvirt_pool', { name: 'kvm', type: 'netfs', source_host: 'nfs', source_path: '/nfsshare', target: '/kvm/disk' }, {
    all: res("\n@@kvplay-section info #ab\nerror: failed to get pool 'kvm'\n\n@@kvplay-section-rc info 1 #ab\n\n@@kvplay-section xml #ab\n\n@@kvplay-section-rc xml 1 #ab\n\n@@kvplay-section target #ab\n\n@@kvplay-section-rc target 0 #ab\n"),
  });
  assert.equal(pool.checked.map((c) => `${c.cmd} => ${c.found}`), ['virsh pool-info kvm => no pool kvm', 'test -d /kvm/disk && echo yes => yes']);
  assert.match(cmds(pool)[0], /^cat > \/tmp\/kvplay-pool\.xml <<'EOF'\n<pool type='netfs'>\n[\s\S]*<\/pool>\nEOF\nvirsh pool-define \/tmp\/kvplay-pool\.xml$/);
});

test('package: dpkg-query/apt-cache as checked; the policy-rc.d wrapper as the commands it amounts to', async () => {
  const ex = await explainWith('package', { name: ['nfs-kernel-server', 'rpcbind'], state: 'present', policy_rc_d: 101, use: 'apt' }, { pkg: res(fx('apt-facts-nfs.txt')) });
  assert.match(ex.checked[0].cmd, /^dpkg-query -W nfs-kernel-server rpcbind; apt-cache policy nfs-kernel-server rpcbind$/);
  assert.match(ex.checked[0].found, /nfs-kernel-server/);
  for (const r of ex.runs.filter((x) => /install/.test(x.why))) {
    const l = r.cmd.split('\n');
    assert.match(l[0], /^printf '#!\/bin\/sh\\nexit %s\\n' 101 > \/usr\/sbin\/policy-rc\.d; chmod 755 \/usr\/sbin\/policy-rc\.d/);
    assert.match(l[1], /^DEBIAN_FRONTEND=noninteractive apt-get .* install /);
    assert.is(l[2], 'rm -f /usr/sbin/policy-rc.d');
  }
});

test('explain does not change what runs: the same commands with and without it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvplay-explain-'));
  try {
    const mod = (await loadModule('copy'))!;
    const runWith = async (explain: boolean, dest: string) => {
      const t = new CountingTransport();
      const out = await applyModule(mod, { dest, content: 'one\ntwo\n', mode: '0640' }, makeCtx({ transport: t, ...(explain ? { explain: explainCollector() } : {}) }));
      return { out, execs: t.execs.map((c) => c.split(dest).join('DEST')) };
    };
    const a = await runWith(false, join(dir, 'a'));
    const b = await runWith(true, join(dir, 'b'));
    assert.equal(b.execs, a.execs);
    assert.is(a.out.explain, undefined, 'no explanation unless asked');
    const ex = b.out.explain!;
    assert.is(ex.check, false);
    assert.equal(ex.runs.map((r) => r.rc), [0], 'each command that ran carries its exit code');
    // the here-document is the file that was written
    const doc = /<<'EOF'\n([\s\S]*)\nEOF/.exec(ex.runs[0].cmd)![1] + '\n';
    assert.is(doc, readFileSync(join(dir, 'b'), 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const SECRET = 'hunter2-very-secret';
const EV: RunEvent = {
  kind: 'explain',
  task: 'write the password',
  host: 'kvm1',
  item: 'one',
  explain: {
    checked: [{ cmd: `grep -q ${SECRET} /etc/app.conf`, found: `no ${SECRET} there` }],
    runs: [{ cmd: `cat > /etc/app.conf <<'EOF'\npassword=${SECRET}\nEOF`, why: 'write /etc/app.conf', rc: 0 }],
    reason: `/etc/app.conf: content changed (${Buffer.from(SECRET).toString('base64')})`,
    check: false,
  },
};

test('every renderer shows the explanation, with secrets redacted (plain, json, report file, tty)', async () => {
  const run = async (mode: 'plain' | 'json' | 'tty', report?: string) => {
    const out = captureStream({ tty: mode === 'tty' });
    const err = captureStream();
    const r = createReporter({ mode, verbosity: 0, diff: false, out, err, secrets: () => [SECRET], env: {}, ...(report ? { reportFile: report } : {}) });
    r.emit({ kind: 'task_start', play: 'p', task: 'write the password', module: 'copy', loc: 'x.yml:1:1', hosts: ['kvm1'] });
    r.emit(EV);
    r.emit({ kind: 'host_result', task: 'write the password', host: 'kvm1', status: 'changed', reason: 'done', item: 'one', durationMs: 1 });
    r.emit({ kind: 'task_end', task: 'write the password', durationMs: 2 });
    await r.close();
    return out.text();
  };
  const dir = mkdtempSync(join(tmpdir(), 'kvplay-explain-'));
  try {
    const plain = await run('plain', join(dir, 'r.json'));
    assert.match(plain, /^explain \[kvm1\] \(item=one\):$/m);
    assert.match(plain, /^  checked    grep -q \*+ \/etc\/app\.conf$/m);
    assert.match(plain, /^    found    no \*+ there$/m);
    assert.match(plain, /^  runs       cat > \/etc\/app\.conf <<'EOF'\n {13}password=\*+\n {13}EOF\n    why      write \/etc\/app\.conf\n  reason     /m);
    const json = await run('json');
    const ev = json.trim().split('\n').map((l) => JSON.parse(l)).find((e) => e.kind === 'explain');
    assert.ok(ev && ev.explain && Array.isArray(ev.explain.runs), 'the json event has an explain field');
    assert.match(ev.explain.runs[0].cmd, /password=\*+/);
    const tty = (await run('tty')).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    assert.match(tty, /explain \[kvm1\] \(item=one\):/);
    assert.match(tty, /checked {4}grep -q \*+/);
    const doc = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'));
    assert.equal(doc.tasks[0].results.kvm1.explain[0].runs[0].why, 'write /etc/app.conf');
    assert.is(doc.tasks[0].results.kvm1.explain[0].item, 'one');
    for (const [name, text] of [['plain', plain], ['json', json], ['tty', tty], ['report', readFileSync(join(dir, 'r.json'), 'utf8')]]) {
      assert.not.ok(text.includes(SECRET), `${name} shows the secret`);
      assert.not.ok(text.includes(Buffer.from(SECRET).toString('base64')), `${name} shows the secret in base64`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // the report document alone (pure): an explanation waits for its result; a result without one has none
  const start: StampedEvent = { kind: 'task_start', play: 'p', task: 'write the password', module: 'copy', loc: 'x.yml:1:1', hosts: ['kvm1', 'kvm2'], ts: 't' };
  const result = (host: string): StampedEvent => ({ kind: 'host_result', task: 'write the password', host, status: 'ok', reason: '', durationMs: 0, ts: 't' });
  const doc = buildReport([start, { ...EV, ts: 't' }, result('kvm2'), result('kvm1')]);
  assert.is(doc.tasks[0].results.kvm1.explain?.length, 1);
  assert.is(doc.tasks[0].results.kvm2.explain, undefined);
});

test('explanation lines: check mode says "would run"; failed and skipped commands say so; no_log shows nothing', () => {
  const lines = explanationLines({ checked: [], runs: [{ cmd: 'a\nb', why: 'x' }], reason: 'r', check: true });
  assert.equal(lines, ['  would run  a', '             b', '    why      x', '  reason     r']);
  const failed = explanationLines({ checked: [], runs: [{ cmd: 'false', why: 'x', rc: 1 }, { cmd: 'true', why: 'y', notRun: true }], reason: 'r', check: false });
  assert.equal(failed.slice(0, 4), ['  runs       false', '    why      x (exit code 1)', '  not run    true', '    why      y (not run: an earlier command failed)']);
  assert.equal(explanationLines({ checked: [], runs: [], reason: 'ok', check: false }), ['  runs       nothing', '  reason     ok']);
  assert.equal(explanationLines({ checked: [{ cmd: 'x', found: 'y' }], runs: [{ cmd: 'z', why: 'w' }], reason: 'hidden', check: false, censored: true }), ['  reason     hidden']);
});

test.run();
