// The lab for real: containers, bridge, SSH. Needs root, systemd-nspawn, a Debian mirror (first build).
// It takes the lab down and up several times: do not run it while other tests use the lab.
// It leaves a freshly reset lab up at the end (for later tests that call ensureLab()).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { BRIDGE, HOSTS, labDir, paths } from '../../src/lab/config.js';
import { ensureLab, labInventoryPath, labMain, labRemnants, labStatus } from '../../src/lab/index.js';
import { labDown, labUp, sshArgs } from '../../src/lab/lab.js';
import { run, sleep } from '../../src/lab/sys.js';
import { labTest } from '../harness/labgate.js';

const logs: string[] = [];
const log = (s: string) => logs.push(s);
const addr = (name: string) => labStatus().hosts.find((h) => h.name === name)!.address;

/** Run a shell command line on a lab host over ssh (lab key, strict host-key checking). */
async function on(host: string, cmd: string, okCodes = [0]) {
  const r = await run('ssh', [...sshArgs(addr(host), ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5']), cmd], { timeoutMs: 120_000 });
  if (!okCodes.includes(r.code)) throw new Error(`${host}: ${cmd}: exit ${r.code}\n${r.stderr}${r.stdout}`);
  return r;
}

/** Processes of ours: any command line naming the lab state directory. */
function labProcesses(): string[] {
  const out: string[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const c = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').join(' ');
      if (c.includes(labDir() + '/')) out.push(`${p} ${c}`);
    } catch {}
  }
  return out;
}

async function assertClean() {
  assert.equal(await labRemnants(), [], 'links, mounts or state left');
  const links = JSON.parse((await run('ip', ['-j', 'link'])).stdout) as any[];
  assert.not.ok(links.some((l) => l.ifname === BRIDGE || String(l.ifname).startsWith('kvp-')), 'lab links left');
  assert.not.ok(readFileSync('/proc/self/mountinfo', 'utf8').includes(labDir()), 'lab mounts left');
  assert.equal(labProcesses(), [], 'supervisor/nspawn processes left');
  assert.is(labInventoryPath(), null);
}

const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const t = Date.now();
  const v = await fn();
  return [v, (Date.now() - t) / 1000];
};

labTest('up from nothing (builds the image and the repository when not cached)', async () => {
  await labDown(log);
  await assertClean();
  const [info, s] = await timed(() => labUp(log));
  console.log(`    up from nothing: ${s.toFixed(1)} s`);
  assert.ok(s < 600, `first up took ${s} s`);
  assert.is(labInventoryPath(), info.inventoryPath);
  assert.equal(Object.keys(info.addresses), ['kvm1', 'kvm2', 'nfs']);
  assert.ok(existsSync(info.knownHostsPath) && existsSync(info.keyPath));
  const inv = readFileSync(info.inventoryPath, 'utf8');
  for (const h of HOSTS) assert.match(inv, `ansible_host: ${info.addresses[h.name]}`);
  assert.match(inv, /nfs_backend: (ganesha|kernel)/);
});

labTest('up again is a fast no-op', async () => {
  const before = labStatus().hosts.map((h) => h.nspawnPid);
  const [, s] = await timed(() => labUp(log));
  console.log(`    up again: ${s.toFixed(1)} s`);
  assert.ok(s < 5, `${s} s`);
  assert.equal(labStatus().hosts.map((h) => h.nspawnPid), before);
});

labTest('down removes links, mounts, processes and state; keeps the cache', async () => {
  const [, s] = await timed(() => labDown(log));
  console.log(`    down: ${s.toFixed(1)} s`);
  await assertClean();
  assert.ok(existsSync(paths.image()) && existsSync(paths.repo()));
  await labDown(log); // idempotent
  await assertClean();
});

labTest('up from the cache: all three hosts reachable in under 20 s', async () => {
  const [, s] = await timed(() => labUp(log));
  console.log(`    up from cache: ${s.toFixed(1)} s`);
  assert.ok(s < 20, `${s} s`);
  assert.ok(labStatus().up);
});

labTest('each host: strict-key ssh, own hostname, own /etc', async () => {
  const names = await Promise.all(HOSTS.map(async (h) => (await on(h.name, 'hostname')).stdout.trim()));
  assert.equal(names, ['kvm1', 'kvm2', 'nfs']);
  // a wrong known_hosts entry must be refused
  const r = await run('ssh', [
    ...['-F', '/dev/null', '-i', paths.key(), '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes'],
    ...['-o', 'UserKnownHostsFile=/dev/null', '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'StrictHostKeyChecking=yes'],
    `root@${addr('kvm1')}`,
    'true',
  ]);
  assert.is.not(r.code, 0, 'ssh without the lab known_hosts must fail under StrictHostKeyChecking=yes');
  const f = `/etc/kvplay-lab-test-${process.pid}`;
  await on('kvm1', `echo hi > ${f}`);
  assert.is((await on('kvm1', `cat ${f}`)).stdout.trim(), 'hi');
  assert.is((await on('kvm2', `test -e ${f}`, [0, 1])).code, 1);
  assert.is((await on('nfs', `test -e ${f}`, [0, 1])).code, 1);
  assert.not.ok(existsSync(f));
  assert.not.ok(existsSync(paths.rootfs() + f));
  // the hosts know each other by name and reach nothing beyond the lab
  await on('kvm1', 'ping -c1 -W2 kvm2 >/dev/null && ping -c1 -W2 nfs >/dev/null');
  assert.is((await on('kvm1', 'ip route get 8.8.8.8', [0, 1, 2])).code === 0, false);
});

labTest('systemd runs inside (degraded only by NFS units)', async () => {
  for (const h of HOSTS) {
    const st = (await on(h.name, 'timeout 30 systemctl is-system-running --wait', [0, 1])).stdout.trim();
    if (st === 'running') continue;
    assert.is(st, 'degraded', `${h.name}: ${st}`);
    const failed = (await on(h.name, 'systemctl list-units --failed --plain --no-legend')).stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0])
      .filter(Boolean);
    for (const u of failed) assert.match(u, /nfs|rpc_pipefs|rpc-/, `${h.name}: unexpected failed unit ${u}`);
  }
});

labTest('apt-get install hello from the local repository, offline', async () => {
  const r = await on('kvm2', 'apt-get -q update 2>&1 && apt-get install -y -q hello 2>&1 && hello');
  assert.match(r.stdout, /Hello, world!/);
  assert.match(r.stdout, /file:\/srv\/kvplay-repo/);
  assert.not.match(r.stdout, /https?:\/\//);
  assert.match((await on('kvm2', 'cat /etc/apt/sources.list; ls /etc/apt/sources.list.d | wc -l')).stdout, /^deb \[trusted=yes\] file:\/srv\/kvplay-repo \.\/\n0\n$/);
});

labTest('firewalld in nfs blocks a port from kvm1 until it is opened', async () => {
  await on('nfs', 'systemctl is-active -q firewalld && systemctl stop firewalld; systemd-run -q --unit=kvtest-listen nc -lk 8080');
  const probe = async () => (await on('kvm1', 'nc -z -w2 nfs 8080', [0, 1])).code === 0;
  for (let i = 0; i < 300 && !(await probe()); i++) await sleep(100); // the listener starts (slower on a busy machine)
  assert.ok(await probe(), 'listener reachable without a firewall');
  await on('nfs', 'apt-get install -y -q firewalld >/dev/null 2>&1 || true; systemctl start firewalld && firewall-cmd --state');
  assert.not.ok(await probe(), 'firewalld must block 8080');
  await on('nfs', 'firewall-cmd -q --add-port=8080/tcp');
  assert.ok(await probe(), 'opened port must pass');
  await on('nfs', 'firewall-cmd -q --remove-port=8080/tcp');
  assert.not.ok(await probe(), 'closed again');
  await on('nfs', 'systemctl stop firewalld kvtest-listen');
});

labTest('a host that reboots comes back', async () => {
  const before = labStatus().hosts.find((h) => h.name === 'kvm1')!;
  const boot1 = (await on('kvm1', 'cat /proc/sys/kernel/random/boot_id')).stdout.trim();
  await on('kvm1', 'systemctl reboot', [0, 255]);
  const t = Date.now();
  let boot2 = boot1;
  while (Date.now() - t < 60_000) {
    await sleep(300);
    const r = await run('ssh', [...sshArgs(addr('kvm1'), ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=2']), 'cat /proc/sys/kernel/random/boot_id']);
    if (r.code === 0 && r.stdout.trim() !== boot1) {
      boot2 = r.stdout.trim();
      break;
    }
  }
  console.log(`    reboot to SSH: ${((Date.now() - t) / 1000).toFixed(1)} s`);
  assert.is.not(boot2, boot1, 'kvm1 did not come back with a new boot');
  const after = labStatus().hosts.find((h) => h.name === 'kvm1')!;
  assert.is(after.supervisorPid, before.supervisorPid);
  assert.is.not(after.nspawnPid, before.nspawnPid);
  assert.ok(labStatus().up);
});

labTest('up repairs a crashed host (all its processes killed)', async () => {
  const h = labStatus().hosts.find((x) => x.name === 'kvm2')!;
  const kh = readFileSync(paths.knownHosts(), 'utf8');
  for (const pid of [h.supervisorPid, h.nspawnPid, h.leaderPid]) if (pid) process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 300 && labStatus().hosts.find((x) => x.name === 'kvm2')!.running; i++) await sleep(100);
  assert.not.ok(labStatus().up);
  assert.is(labInventoryPath(), null);
  const info = await ensureLab(log);
  assert.ok(labStatus().up);
  assert.is(readFileSync(info.knownHostsPath, 'utf8'), kh, 'same overlay, same host keys');
  assert.is((await on('kvm2', 'hostname')).stdout.trim(), 'kvm2');
});

labTest('kvplay lab status / ssh through labMain', async () => {
  assert.is(await labMain(['ssh', 'nfs', 'exit 7']), 7);
  assert.is(await labMain(['ssh', 'kvm1', '--', 'test', 'a b', '=', 'a b']), 0);
  const w = process.stdout.write.bind(process.stdout);
  let text = '';
  (process.stdout as any).write = (s: string) => ((text += s), true);
  try {
    assert.is(await labMain(['status']), 0);
  } finally {
    (process.stdout as any).write = w;
  }
  for (const h of HOSTS) assert.match(text, new RegExp(`${h.name}\\s+\\S+\\s+running\\s+pid \\d+`));
});

labTest('reset gives fresh hosts from the cached image', async () => {
  const kh = readFileSync(paths.knownHosts(), 'utf8');
  const [, s] = await timed(() => labMain(['reset']));
  console.log(`    reset: ${s.toFixed(1)} s`);
  assert.ok(labStatus().up);
  assert.is.not(readFileSync(paths.knownHosts(), 'utf8'), kh, 'new host keys');
  assert.is((await on('kvm2', 'command -v hello', [0, 1])).code, 1, 'hello was installed before the reset');
});

test.run();
