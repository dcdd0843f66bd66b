/**
 * playbooks/site.yaml (stages nfs, storage, bridge, ssh_trust) on the lab: a fresh lab, --check
 * first (nothing changes, predictions = what the real run changes), the real run, the results
 * checked from the hosts, a second run with 0 changed, drift repaired task by task, and faults.
 * Needs root and the lab (resets it: do not run in parallel with other lab tests). Runs the
 * CLI from dist (npm test builds it first).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLab } from '../../src/lab/index.js';
import { labTest } from '../harness/labgate.js';
import { BIN, ROOT, kvplay, writePlaybook } from '../e2e/helpers.js';

const SITE = join(ROOT, 'playbooks', 'site.yaml');
let INV = '';
let SSHCFG = '';
const t0 = Date.now();
const since = () => `${((Date.now() - t0) / 1000).toFixed(0)}s`;

function run(cmd: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const c = execFile(cmd, args, { maxBuffer: 16 << 20 }, (err, stdout, stderr) => res({ code: err ? ((err as any).code ?? 1) : 0, stdout, stderr }));
    c.stdin?.on('error', () => {}); // EPIPE when the command exits before reading: its result tells
    if (input !== undefined) c.stdin?.end(input);
  });
}

/** A command on a lab host (a fresh ssh connection each time). */
const on = (host: string, cmd: string) => run('ssh', ['-F', SSHCFG, '-o', 'ConnectTimeout=10', host, cmd]);

async function must(host: string, cmd: string): Promise<string> {
  const r = await on(host, cmd);
  assert.is(r.code, 0, `${host}: ${cmd}: rc=${r.code} ${r.stderr}`);
  return r.stdout;
}

/** task|host|item of every changed result. */
function changed(events: any[]): string[] {
  return events.filter((e) => e.kind === 'host_result' && e.status === 'changed').map((e) => `${e.task}|${e.host}${e.item !== undefined ? `|${e.item}` : ''}`).sort();
}

function failures(events: any[]): string[] {
  return events.filter((e) => e.kind === 'host_result' && (e.status === 'failed' || e.status === 'unreachable')).map((e) => `${e.task}|${e.host}: ${e.reason}`);
}

async function site(args: string[] = []) {
  const r = await kvplay([SITE, '-i', INV, ...args], { json: true });
  return { ...r, changed: changed(r.events), failures: failures(r.events) };
}

/** Lab tests need root and the lab's tools: without them every test is reported as skipped (and no hook runs). */
labTest.before(async () => {
  const lab = await ensureLab();
  INV = lab.inventoryPath;
  SSHCFG = lab.sshConfigPath;
  const r = await run(process.execPath, [BIN, 'lab', 'reset']);
  assert.is(r.code, 0, `lab reset: ${r.stderr}`);
  console.log(`  [${since()}] fresh lab`);
});

let predicted: string[] = [];

labTest('fresh lab: --check changes nothing', async () => {
  const c = await site(['--check']);
  assert.is(c.code, 0, c.failures.join('\n') || c.stderr);
  predicted = c.changed;
  assert.ok(predicted.length > 20, `predicted ${predicted.length} changes`);
  // nothing happened on the hosts
  assert.is((await on('nfs', 'dpkg -s nfs-ganesha >/dev/null 2>&1')).code, 1, 'check mode installed nfs-ganesha');
  assert.is((await on('nfs', 'systemctl is-active -q firewalld')).code !== 0, true, 'check mode started firewalld');
  assert.is((await on('kvm1', 'ip link show br0')).code !== 0, true, 'check mode created br0');
  assert.is((await on('kvm1', 'grep -q /kvm/disk /etc/fstab')).code, 1, 'check mode edited fstab');
  assert.is((await on('kvm2', 'test -e /root/.ssh/id_ed25519')).code, 1, 'check mode made a key');
  console.log(`  [${since()}] --check: ${predicted.length} predicted changes`);
});

labTest('real run succeeds and changes exactly what --check predicted', async () => {
  const r = await site();
  assert.is(r.code, 0, r.failures.join('\n') || r.stderr);
  const extra = r.changed.filter((k) => !predicted.includes(k));
  const missing = predicted.filter((k) => !r.changed.includes(k));
  assert.equal({ extra, missing }, { extra: [], missing: [] }, 'check mode predictions differ from the real run');
  console.log(`  [${since()}] real run: ${r.changed.length} changes, as predicted`);
});

labTest('results on the hosts', async () => {
  // step 1: the export, seen from a client
  assert.match(await must('kvm1', 'showmount -e nfs'), /^\/nfsshare 10\.237\.20\.2\/32,10\.237\.20\.3\/32$/m);
  // step 2: one file system at /kvm/disk on both KVM hosts
  const name = `shared-${Date.now()}`;
  await must('kvm1', `echo hello > /kvm/disk/${name}`);
  assert.is(await must('kvm2', `cat /kvm/disk/${name}`), 'hello\n');
  await must('kvm2', `rm /kvm/disk/${name}`);
  assert.match(await must('kvm1', 'grep /kvm/disk /etc/fstab'), 'root@nfs:/nfsshare /kvm/disk fuse.sshfs ');
  // step 3: br0 carries the address, eth0 is its port, SSH works (this is a new connection)
  assert.match(await must('kvm1', 'ip -br addr show br0'), /\b10\.237\.20\.2\/24\b/);
  assert.is((await must('kvm1', 'basename "$(readlink /sys/class/net/eth0/master)"')).trim(), 'br0');
  assert.is((await must('kvm1', 'ip -4 -br addr show eth0')).includes('10.237.20'), false);
  assert.match(await must('kvm1', 'cat /etc/network/interfaces'), 'bridge_ports eth0');
  // firewall: the three services, permanent and runtime
  for (const flag of ['', '--permanent ']) {
    const s = (await must('nfs', `firewall-cmd ${flag}--list-services`)).trim().split(/\s+/);
    for (const svc of ['rpc-bind', 'nfs', 'mountd']) assert.ok(s.includes(svc), `${flag}services: ${s.join(' ')}`);
  }
  // ssh trust: root on kvm1 reaches kvm2 (by name and address) with no password and no prompt
  assert.is((await must('kvm1', 'ssh -o BatchMode=yes kvm2 hostname')).trim(), 'kvm2');
  assert.is((await must('kvm2', 'ssh -o BatchMode=yes 10.237.20.2 hostname')).trim(), 'kvm1');
});

labTest('a port that was not opened stays blocked', async () => {
  const pid = (await must('nfs', '(timeout 30 nc -l 12345 >/dev/null 2>&1 & echo $!)')).trim();
  try {
    // listening for sure before probing from kvm1 (else "blocked" would pass without a listener)
    await must('nfs', `for i in $(seq 1 300); do ss -Hltn 'sport = :12345' | grep -q . && exit 0; sleep 0.1; done; echo 'nc did not listen on 12345' >&2; exit 1`);
    assert.is((await on('kvm1', 'nc -z -w 3 10.237.20.4 12345')).code !== 0, true, 'port 12345 reachable from kvm1');
    assert.is((await on('kvm1', 'nc -z -w 3 10.237.20.4 2049')).code, 0, 'nfs (2049) not reachable from kvm1');
    assert.is((await on('nfs', 'nc -z -w 2 127.0.0.1 12345')).code, 0, 'the listener was not up');
  } finally {
    await on('nfs', `kill ${Number(pid)} 2>/dev/null || :`);
  }
});

labTest('second run: nothing changes', async () => {
  const r = await site();
  assert.is(r.code, 0, r.failures.join('\n'));
  assert.equal(r.changed, []);
  console.log(`  [${since()}] second run: 0 changed`);
});

const DRIFT: [string, string, string, string[]][] = [
  ['export removed', 'nfs', ': > /etc/ganesha/kvplay-exports.conf', ['ganesha EXPORT block (clients = the KVM hosts)|nfs', 'restart nfs-ganesha|nfs']],
  ['rpcbind stopped', 'nfs', 'systemctl stop rpcbind.socket rpcbind.service', ['rpcbind enabled and running|nfs']],
  ['firewall service removed', 'nfs', 'firewall-cmd -q --remove-service=mountd && firewall-cmd -q --permanent --remove-service=mountd', ['firewalld allows rpc-bind, nfs, mountd (permanent and runtime)|nfs|mountd']],
  ['/kvm/disk unmounted', 'kvm1', 'umount /kvm/disk', ['shared storage mounted at /kvm/disk and in fstab (nfs or sshfs)|kvm1']],
];

for (const [what, host, cmd, expect] of DRIFT) {
  labTest(`drift: ${what} -> the next run repairs exactly that`, async () => {
    await must(host, cmd);
    const r = await site();
    assert.is(r.code, 0, r.failures.join('\n'));
    assert.equal(r.changed, expect.sort());
  });
}

labTest('after the repairs: the export is back, the share is shared', async () => {
  assert.match(await must('kvm2', 'showmount -e nfs'), '/nfsshare ');
  assert.match(await must('kvm1', 'findmnt -n -o FSTYPE /kvm/disk'), 'fuse.sshfs');
});

labTest('a bad export option is rejected before /etc/exports changes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvplay-roles-'));
  try {
    const pb = writePlaybook(dir, 'bad.yaml', [
      '- hosts: nfs_servers',
      '  gather_facts: false',
      '  tasks:',
      '    - nfs_export: {path: /nfsshare, clients: [10.237.20.2], options: "{{ opts }}"}',
    ].join('\n'));
    await must('nfs', "printf '# kept\\n/srv 10.0.0.1(ro)\\n' > /etc/exports");
    const before = await must('nfs', 'sha256sum /etc/exports; ls /etc/exports*');
    const bad = await kvplay([pb, '-i', INV, '-e', '{"opts": ["rw", "sync", "no_root_sqush"]}'], { json: true });
    assert.is(bad.code, 2);
    assert.match(failures(bad.events).join('\n'), "unknown NFS export option 'no_root_sqush' for client 10.237.20.2 (did you mean 'no_root_squash'?)");
    assert.is(await must('nfs', 'sha256sum /etc/exports; ls /etc/exports*'), before);
    // the site too: the role fails at the export task, the ganesha exports file is untouched
    const g = await must('nfs', 'sha256sum /etc/ganesha/kvplay-exports.conf');
    const s = await site(['--tags', 'nfs', '-e', '{"nfs_export_options": ["rw", "bogus"]}']);
    assert.is(s.code, 2);
    assert.match(s.failures.join('\n'), "ganesha EXPORT block (clients = the KVM hosts)|nfs: export /nfsshare: unknown NFS export option 'bogus'");
    assert.is(await must('nfs', 'sha256sum /etc/ganesha/kvplay-exports.conf'), g);
    const good = await kvplay([pb, '-i', INV, '-e', '{"opts": ["rw", "sync"]}'], { json: true });
    assert.is(good.code, 0);
    assert.is(await must('nfs', 'cat /etc/exports'), '# kept\n/srv 10.0.0.1(ro)\n/nfsshare 10.237.20.2(rw,sync)\n');
  } finally {
    await on('nfs', 'rm -f /etc/exports /etc/exports.*.kvplay~');
    rmSync(dir, { recursive: true, force: true });
  }
});

labTest('the nfs host down during the kvm stage: a clear error naming the host and the step', async () => {
  // cut the nfs host's link on the lab bridge (host side of its veth), restore it afterwards
  await run('ip', ['link', 'set', 'kvp-nfs', 'down']);
  try {
    const r = await site(['--tags', 'storage', '--limit', 'kvm_hosts']);
    assert.is(r.code, 2);
    const f = r.failures.join('\n');
    assert.match(f, 'showmount -e on the NFS server (nfs_servers[0])|kvm1');
    assert.match(f, 'NFS server nfs (10.237.20.4) does not answer showmount -e');
  } finally {
    await run('ip', ['link', 'set', 'kvp-nfs', 'up']);
  }
  // back up: the site converges again (sshfs reconnects or is remounted)
  let r = await site();
  if (r.code !== 0) r = await site();
  assert.is(r.code, 0, r.failures.join('\n'));
  console.log(`  [${since()}] done`);
});

test.run();
