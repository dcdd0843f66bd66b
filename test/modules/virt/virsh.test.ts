/** virsh parsers (src/facts/virsh.ts) and job progress (virt/virsh.ts), the probe (virt/probe.ts), migrate's command line and diagnosis (virt/migcmd.ts). */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { jobFraction, jobText } from '../../../src/modules/virt/virsh.js';
import { parsePing, probeReport, probeText } from '../../../src/modules/virt/probe.js';
import { diagnose, migrateArgs, startScript, type MigrateOptions } from '../../../src/modules/virt/migcmd.js';
import { restartScript, shutdownScript } from '../../../src/modules/virt/ops.js';
import { isNotFound, parseDomstate, parseInfo, parseJobInfo, parseSize, virshError, virshMissing } from '../../../src/facts/virsh.js';
import { parseSections, sectionScript } from '../../../src/facts/sections.js';

const F = new URL('./fixtures/', import.meta.url).pathname;
const fx = (n: string) => readFileSync(F + n, 'utf8');
const sh = (script: string) => execFileSync('sh', ['-c', script], { encoding: 'utf8' });

test('sectionScript runs each command with its own exit code; parseSections reads it back', () => {
  const out = sh(sectionScript([['a', 'echo one; echo two'], ['b', 'echo err >&2; exit 3'], ['c', "printf 'no newline'"], ['d', 'true']]));
  assert.equal({ ...parseSections(out) }, { a: { out: 'one\ntwo', rc: 0 }, b: { out: 'err', rc: 3 }, c: { out: 'no newline', rc: 0 }, d: { out: '', rc: 0 } });
  assert.equal({ ...parseSections('\n@@kvplay-section x\npartial') }, { x: { out: 'partial', rc: -1 } });
  assert.throws(() => sectionScript([['bad name', 'true']]), /bad section name/);
  assert.is(virshMissing({ a: { out: 'sh: 1: virsh: not found', rc: 127 } }), true);
  assert.is(virshMissing({ a: { out: 'x', rc: 1 } }), false);
});

test('domstate: state, missing, other errors', () => {
  assert.is(parseDomstate({ out: 'running\n', rc: 0 }, 'g'), 'running');
  assert.is(parseDomstate({ out: 'shut off\n\n', rc: 0 }, 'g'), 'shut off');
  const missing = fx('domstate-missing.txt').replace(/\nrc=1\n?$/, '');
  assert.is(parseDomstate({ out: missing, rc: 1 }, 'nosuch'), null);
  assert.throws(() => parseDomstate({ out: 'error: failed to connect to the hypervisor\nerror: Failed to connect socket', rc: 1 }, 'g'), /Failed to connect socket/);
  assert.ok(isNotFound("error: Storage pool not found: no storage pool with matching name 'x'"));
  assert.is(virshError('error: failed to get domain\nerror: Domain not found: x'), 'Domain not found: x');
});

test('dominfo and pool-info', () => {
  assert.equal(parseInfo({ out: fx('dominfo.txt'), rc: 0 }), { exists: true, state: 'running', autostart: false, persistent: true });
  assert.equal(parseInfo({ out: fx('pool-info.txt'), rc: 0 }), { exists: true, state: 'running', autostart: true, persistent: true });
  assert.equal(parseInfo({ out: "error: failed to get pool 'x'", rc: 1 }), { exists: false });
});

test('domjobinfo while running and completed', () => {
  const chunks = fx('domjobinfo-running.txt').split('----\n');
  assert.is(parseJobInfo(chunks[0]).type, 'None');
  const early = parseJobInfo(chunks[2]);
  assert.is(early.type, 'Unbounded');
  assert.is(early.operation, 'Outgoing migration');
  assert.is(jobFraction(early), undefined);
  const j = parseJobInfo(chunks.find((c) => c.includes('Data total'))!);
  assert.is(j.dataTotal, 128.758 * 1024 * 1024);
  assert.is(j.dataRemaining, 0);
  assert.is(Math.round(j.bandwidth / 1024 / 1024), 522);
  assert.is(j.iteration, 3);
  assert.is(jobFraction(j), 1);
  assert.is(jobText(j), '0 B of 128.8 MiB left, 521.5 MiB/s, pass 3');
  const done = parseJobInfo(fx('domjobinfo-completed.txt'));
  assert.is(done.type, 'Completed');
  assert.is(done.operation, 'Incoming migration');
  assert.is(done.downtimeMs, 132);
  assert.is(done.elapsedMs, 650);
  assert.is(parseSize('1.5 GiB'), 1.5 * 1024 ** 3);
  assert.ok(Number.isNaN(parseSize('lots')));
  assert.is(jobFraction({ ...j, dataRemaining: 32 * 1024 * 1024, dataTotal: 128 * 1024 * 1024 }), 0.75);
});

test('ping probe: gap inside the migration window, losses', () => {
  const text = fx('ping-migration.txt');
  const { replies } = parsePing(text);
  assert.ok(replies.length > 10);
  const r = probeReport('10.237.20.50', 0.2, text);
  assert.is(r.lost, 0);
  assert.ok(r.max_gap_s! < 0.3, String(r.max_gap_s));
  // cut three answers out: a gap of ~0.8 s, 3 lost
  const lines = text.split('\n');
  const cut = lines.filter((l) => !/icmp_seq=(11|12|13) /.test(l)).join('\n');
  const r2 = probeReport('10.237.20.50', 0.2, cut, { start: 1795637008.5, end: 1795637010 });
  assert.is(r2.lost, 3);
  assert.is(r2.received, r.received - 3);
  assert.is(r2.max_gap_s, 0.812);
  assert.is(r2.answered_before, true);
  assert.is(probeText(r2), 'probe: longest gap 0.81 s, 3 of 22 pings lost (every 0.2 s)');
  const none = probeReport('10.0.0.9', 0.2, 'PING 10.0.0.9\n[1.0] From 10.0.0.1 icmp_seq=1 Destination Host Unreachable\n');
  assert.is(none.received, 0);
  assert.is(probeText(none), 'probe: 10.0.0.9 never answered (no gap measured)');
});

const base: MigrateOptions = { name: 'g', uri: 'qemu+ssh://kvm2/system', persistent: true, undefineSource: true, autoConverge: false, postcopy: false, compressed: false, unsafe: false, timeoutAction: 'abort' };

test('virsh migrate command line', () => {
  assert.equal(migrateArgs(base), ['virsh', 'migrate', '--live', '--persistent', '--undefinesource', 'g', 'qemu+ssh://kvm2/system']);
  assert.equal(migrateArgs({ ...base, autoConverge: true, postcopy: true, compressed: true, bandwidth: 50, copyStorage: 'all', unsafe: true, timeout: 60, timeoutAction: 'suspend', undefineSource: false }).slice(3, -2), [
    '--persistent', '--auto-converge', '--postcopy', '--postcopy-after-precopy', '--compressed', '--bandwidth', '50', '--copy-storage-all', '--unsafe', '--timeout', '60', '--timeout-suspend',
  ]);
  // abort is done by the module, not by libvirt's --timeout
  assert.not.ok(migrateArgs({ ...base, timeout: 60 }).includes('--timeout'));
  const s = startScript({ ...base, name: "it's" }, '/tmp/kvplay-migrate-x');
  assert.match(s, /setsid sh -c /);
  execFileSync('sh', ['-n', '-c', s]);
});

test('diagnosis names the failed step and the remedy', () => {
  const o = { timedOut: false, target: 'kvm2', source: 'kvm1', autoConverge: false };
  assert.match(diagnose('', { ...o, timedOut: true }).hint, /auto_converge: true, a larger max_downtime/);
  assert.not.match(diagnose('', { ...o, timedOut: true, autoConverge: true }).hint, /auto_converge/);
  assert.match(diagnose("error: Cannot get interface MTU on 'br0': No such device", o).step, /network setup/);
  assert.match(diagnose('error: Unsafe migration: Migration without shared storage is unsafe', o).hint, /unsafe: true/);
  assert.match(diagnose('error: operation failed: job: migration out job: Input/output error', o).step, /libvirt on kvm2/);
  assert.match(diagnose('error: internal error: End of file while reading data: Input/output error', o).hint, /libvirtd runs on kvm2/);
  assert.match(diagnose('Host key verification failed.', o).step, /SSH/);
  assert.match(diagnose("error: internal error: unable to execute QEMU command 'migrate-set-capabilities': Postcopy is not supported", o).hint, /drop postcopy/);
  // recorded on the lab: libvirtd on the target stopped in the middle of the memory copy
  const mid = "Migration: [  1 %]Migration: [ 16 %]error: operation failed: job 'migration out' failed: Unable to write to socket: Bad file descriptor";
  assert.is(virshError(mid), "operation failed: job 'migration out' failed: Unable to write to socket: Bad file descriptor");
  assert.match(diagnose(mid, o).step, /connection to libvirt on kvm2/);
});

test('shutdown and restart scripts are valid sh and quote the name', () => {
  for (const s of [shutdownScript("a b'c", 30), shutdownScript('g', 5, 'qemu+ssh://kvm2/system'), restartScript('g', 'destroy', 10), restartScript('g', 'shutdown', 10)]) {
    execFileSync('sh', ['-n', '-c', s]);
  }
  assert.match(shutdownScript("a b'c", 30), /domstate 'a b'\\''c'/);
  assert.match(shutdownScript('g', 5, 'qemu+ssh://kvm2/system'), /virsh -c qemu\+ssh:\/\/kvm2\/system destroy g/);
});

test.run();
