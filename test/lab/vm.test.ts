// @timeout-s 2400
// @tier vm  (run last by `npm test` (CI) and alone by `npm run test:vm`: ~20-25 min under TCG, see docs/lab.md)
/**
 * The VM lab end to end (real Debian kernels under QEMU: kernel NFS, NetworkManager, reboots):
 * fresh VMs -> site.yaml (kernel NFS export, NFS mounts, NM bridge, libvirt, the guest, live
 * migration WITHOUT --unsafe) -> reboot all three hosts -> mount, br0 and the firewall rules are
 * back, a second site.yaml changes nothing -> cold migration. Figures go to
 * <cache>/virt-timings.log. Needs root, QEMU, mmdebstrap (skipped with the reason elsewhere).
 * Budget (2 cores, TCG): image build ~5-8 min (cached after), the rest ~12-16 min.
 * KVPLAY_VMLAB_KEEP=1 leaves the VMs up afterwards.
 */
import * as assert from 'uvu/assert';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execFile } from 'node:child_process';
import { parse } from 'yaml';
import { gatedTest, requires } from '../harness/gate.js';
import { BIN, ROOT, kvplay, type CliResult } from '../e2e/helpers.js';
import { pidAlive, withLock } from '../../src/lab/sys.js';
import { vmPaths } from '../../src/lab/vmconfig.js';
import { vmLabDown, vmLabRemnants, vmLabStatus, vmLabUp, vmPreflight, type VmLabInfo } from '../../src/lab/vmlab.js';
import { recordFixtures } from './vm-record.js';

const test = requires({ root: true, tools: ['qemu-system-x86_64', 'qemu-img', 'mmdebstrap', 'mkfs.ext4', 'ssh', 'ip'], files: ['/dev/net/tun'] });

const t0 = Date.now();
const since = () => `${Math.round((Date.now() - t0) / 1000)}s`;
const GUEST = 'kvplay-guest';
let lab: VmLabInfo;

function sh(cmd: string, args: string[], timeoutMs = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(cmd, args, { maxBuffer: 16 << 20, timeout: timeoutMs }, (err, stdout, stderr) =>
      res({ code: err ? (typeof (err as any).code === 'number' ? (err as any).code : 255) : 0, stdout, stderr }));
  });
}

const on = (host: string, cmd: string, timeoutMs = 120_000) => sh('ssh', ['-F', lab.sshConfigPath, '-o', 'BatchMode=yes', host, cmd], timeoutMs);

async function must(host: string, cmd: string): Promise<string> {
  const r = await on(host, cmd);
  assert.is(r.code, 0, `${host}: ${cmd}: rc=${r.code} ${r.stderr}`);
  return r.stdout;
}

interface PlayRun extends CliResult {
  changed: string[];
  failures: string[];
  wallS: number;
}

async function play(name: string, args: string[] = []): Promise<PlayRun> {
  const t = Date.now();
  // progress: a first site.yaml takes ~8-12 min under TCG
  const tick = setInterval(() => console.log(`  [${since()}] ${name} running for ${Math.round((Date.now() - t) / 1000)} s ...`), 60_000);
  const r = await kvplay([join(ROOT, 'playbooks', name), '-i', lab.inventoryPath, ...args], { json: true }).finally(() => clearInterval(tick));
  const hr = r.events.filter((e) => e.kind === 'host_result');
  return {
    ...r,
    wallS: Math.round((Date.now() - t) / 1000),
    changed: hr.filter((e) => e.status === 'changed').map((e) => `${e.task}|${e.host}`),
    failures: hr.filter((e) => (e.status === 'failed' && !e.data?.ignored) || e.status === 'unreachable').map((e) => `${e.task}|${e.host}: ${e.reason}`),
  };
}

/** Why a run failed: its failed tasks, else the end of its output (a CLI error comes as a JSON event with --json). */
const why = (r: PlayRun) => r.failures.join('\n') || `${r.stderr.slice(-2000)}\n${r.stdout.slice(-2000)}`;

const resultOf = (r: CliResult, task: RegExp, host: string): any =>
  r.events.find((e) => e.kind === 'host_result' && task.test(e.task) && e.host === host && e.status !== 'skipped');

function record(what: string, data: Record<string, unknown>): void {
  const f = join(process.env.KVPLAY_CACHE_DIR || '/var/cache/kvplay', 'virt-timings.log');
  mkdirSync(dirname(f), { recursive: true });
  appendFileSync(f, `${new Date().toISOString()} vm-lab ${what} ${JSON.stringify(data)}\n`);
  console.log(`  [${since()}] ${what}: ${JSON.stringify(data)}`);
}

/** Poll until `cmd` succeeds on host (SSH refusals while it boots count as "not yet"). */
async function until(host: string, cmd: string, ms: number): Promise<string> {
  const deadline = Date.now() + ms;
  let last = '';
  while (Date.now() < deadline) {
    const r = await on(host, cmd, 60_000);
    if (r.code === 0) return r.stdout;
    last = `rc=${r.code} ${r.stdout}${r.stderr}`.trim();
    await new Promise((res) => setTimeout(res, 3000));
  }
  throw new Error(`${host}: '${cmd}' did not succeed within ${ms / 1000} s: ${last}`);
}

test.before(async () => {
  vmPreflight(); // the CLI runs from dist/: `npm test` builds it first
  lab = await withLock(vmPaths.lock(), async () => {
    await vmLabDown(() => {});
    return vmLabUp((s) => console.log(`  [${since()}] ${s}`));
  });
  record('up', { accel: lab.accel, build_s: lab.timings.build, boot_s: lab.timings.boot });
  await recordFixtures(on, 'fresh');
});

const keep = process.env.KVPLAY_VMLAB_KEEP === '1';

test('lab up --vm: the container lab\'s groups, kernel NFS backends, NetworkManager on the NICs, real kernels', async () => {
  const inv = parse(readFileSync(lab.inventoryPath, 'utf8'));
  assert.equal(Object.keys(inv.all.children.kvm_hosts.hosts), ['kvm1', 'kvm2']);
  assert.equal(Object.keys(inv.all.children.nfs_servers.hosts), ['nfs']);
  assert.is(inv.all.children.kvm_hosts.vars.shared_storage_backend, 'nfs');
  assert.is(inv.all.children.nfs_servers.vars.nfs_backend, 'kernel');
  assert.is(inv.all.vars.kvplay_lab_flavour, 'vm');
  const st = await sh(process.execPath, [BIN, 'lab', 'status', '--vm']);
  assert.is(st.code, 0, st.stdout + st.stderr);
  assert.is(st.stdout.match(/ running /g)?.length, 3, st.stdout);
  const rss = Object.fromEntries(vmLabStatus().hosts.map((h) => [h.name, h.rssMiB]));
  record('rss_mib after boot', rss);
  const ssh = await sh(process.execPath, [BIN, 'lab', 'ssh', '--vm', 'nfs', 'hostname']);
  assert.is(ssh.stdout.trim(), 'nfs', ssh.stderr);
  for (const h of ['kvm1', 'kvm2', 'nfs']) {
    // a kernel of its own, with NFS (the machine's container lab has none)
    const out = await must(h, 'modprobe -n -v nfsd >/dev/null && echo nfsd; nmcli -t -f DEVICE,TYPE,STATE device');
    assert.match(out, /^nfsd$/m, `${h}: kernel NFS server module`);
    assert.match(out, /^[^:]+:ethernet:connected$/m, `${h}: NetworkManager manages the NIC:\n${out}`);
  }
});

let expectType = 'qemu';

test('site.yaml on fresh VMs: kernel NFS, NFS mounts, NM bridge, live migration without --unsafe', async () => {
  const r = await play('site.yaml');
  assert.is(r.code, 0, `site.yaml: ${why(r)}`);
  const m = resultOf(r, /^live migration/, 'kvm1');
  assert.ok(m, 'the migrate task ran on kvm1');
  assert.is(m.status, 'changed', m.reason);
  const d = m.data;
  assert.is(d.options.unsafe, false, 'no --unsafe on NFS');
  assert.is(d.target_state, 'running');
  record('site.yaml first run', { wall_s: r.wallS, changed: r.changed.length });
  await recordFixtures(on, 'site');
  record('live migration kvm1->kvm2 (no --unsafe)', { wall_s: d.migration.wall_time_s, total_ms: d.migration.total_time_ms, downtime_ms: d.migration.downtime_ms, probe_gap_s: d.probe?.max_gap_s });
  assert.match(await must('kvm2', 'virsh list --all'), new RegExp(`\\s${GUEST}\\s+running`));
  // kernel NFS server and clients
  assert.match(await must('nfs', 'exportfs -v'), /^\/nfsshare\s/m);
  for (const h of ['kvm1', 'kvm2']) {
    assert.match(await must(h, 'findmnt -n -o FSTYPE,SOURCE /kvm/disk'), /^nfs4?\s+\S+:\/nfsshare$/m, `${h}: /kvm/disk on NFS`);
    assert.match(await must(h, 'nmcli -t -f NAME,TYPE,DEVICE connection show --active'), /^br0:bridge:br0$/m, `${h}: br0 by NetworkManager`);
  }
  // the domain type follows what libvirt can run on both hosts
  const kvm = await Promise.all(['kvm1', 'kvm2'].map(async (h) => (await on(h, 'virsh domcapabilities --virttype kvm >/dev/null 2>&1')).code === 0));
  expectType = kvm.every(Boolean) ? 'kvm' : 'qemu';
  assert.match(await must('kvm2', `virsh dumpxml ${GUEST}`), new RegExp(`<domain type='${expectType}'`));
  record('domain type', { type: expectType });
});

test('reboot all hosts: NFS mount, br0, firewall rules back; second site.yaml changes nothing', async () => {
  const hosts = ['nfs', 'kvm1', 'kvm2'];
  const boot = Object.fromEntries(await Promise.all(hosts.map(async (h) => [h, (await must(h, 'cat /proc/sys/kernel/random/boot_id')).trim()])));
  const t = Date.now();
  await Promise.all(hosts.map((h) => on(h, 'systemd-run --on-active=1 systemctl reboot >/dev/null 2>&1; echo scheduled')));
  // a new boot id first (until then the old boot may still say "running"), then boot finished
  const booted = (id: string) => `[ "$(cat /proc/sys/kernel/random/boot_id)" != ${id} ] || exit 1; systemctl is-system-running --wait >/dev/null 2>&1; s=$(systemctl is-system-running); [ "$s" = running ] || [ "$s" = degraded ]`;
  await Promise.all(hosts.map((h) => until(h, booted(boot[h]), 900_000)));
  record('reboot all three to SSH + boot finished', { wall_s: Math.round((Date.now() - t) / 1000) });
  for (const h of ['kvm1', 'kvm2']) {
    assert.match(await must(h, 'findmnt -n -o FSTYPE /kvm/disk'), /^nfs4?$/m, `${h}: NFS mount back`);
    const addr = lab.addresses[h];
    assert.match(await must(h, 'ip -br -4 addr show dev br0'), new RegExp(`\\b${addr.replace(/\./g, '\\.')}/24\\b`), `${h}: br0 holds the address`);
  }
  const svc = await must('nfs', 'firewall-cmd --list-services');
  for (const s of ['nfs', 'mountd', 'rpc-bind']) assert.match(svc, new RegExp(`\\b${s}\\b`), `firewalld runtime after reboot: ${svc}`);
  assert.match(await must('nfs', 'exportfs -v'), /^\/nfsshare\s/m);
  await recordFixtures(on, 'reboot');
  // libvirt-guests started the guest again where it ran
  await until('kvm2', `virsh domstate ${GUEST} | grep -qx running`, 300_000);
  const r = await play('site.yaml');
  assert.is(r.code, 0, why(r));
  assert.equal(r.changed, [], 'second site.yaml after the reboot');
  record('site.yaml second run (after reboot)', { wall_s: r.wallS, changed: 0 });
});

test('cold migration kvm2 -> kvm1', async () => {
  const r = await play('cold-migrate.yaml');
  assert.is(r.code, 0, why(r));
  const c = resultOf(r, /^cold migration migrate_from/, 'kvm2');
  assert.ok(c, 'the cold migration task ran on kvm2');
  assert.is(c.status, 'changed', c.reason);
  assert.match(c.reason, /moved cold kvm2 -> kvm1/);
  assert.match(await must('kvm1', 'virsh list --all'), new RegExp(`\\s${GUEST}\\s+running`));
  assert.not.match(await must('kvm2', 'virsh list --all'), new RegExp(GUEST));
  record('cold migration kvm2->kvm1', { wall_s: r.wallS, off_s: Number(/off for ([\d.]+) s/.exec(c.reason)?.[1] ?? NaN) });
  record('rss_mib at the end', Object.fromEntries(vmLabStatus().hosts.map((h) => [h.name, h.rssMiB])));
});

gatedTest(test.reason || (keep ? 'KVPLAY_VMLAB_KEEP=1 keeps the VMs up' : ''), 'lab down --vm: no process, namespace, link, rule or state left', async () => {
  const pids = vmLabStatus().hosts.map((h) => h.pid).filter((p): p is number => !!p);
  assert.is(pids.length, 3, 'three QEMU processes before down');
  const r = await sh(process.execPath, [BIN, 'lab', 'down', '--vm']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.equal(await vmLabRemnants(), []);
  // (a zombie waiting for the machine's init to reap it counts as gone)
  for (const pid of pids) assert.is(pidAlive(pid), false, `qemu ${pid} gone`);
});

test.run();
