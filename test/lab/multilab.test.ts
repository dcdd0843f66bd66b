/**
 * Class labs for real: two named labs side by side (own bridge, subnet, state dir, inventory,
 * known_hosts), isolated from each other on the network; the same subnet refused; `--lab` and
 * KVPLAY_LAB pick a lab's inventory; a class (`--count --prefix`) up and `down --all`.
 * Uses its own lab names (iso-a, iso-b, cls1, cls2) and never touches the default lab; the class
 * part runs under a scratch KVPLAY_LAB_DIR so `down --all` sees only its own labs.
 * Needs root and the lab's tools; runs the CLI from dist (npm test builds it first).
 */
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labLinkNames, labsRoot } from '../../src/lab/config.js';
import { run } from '../../src/lab/sys.js';
import { labTest as test } from '../harness/labgate.js';
import { ROOT, kvplay, writePlaybook } from '../e2e/helpers.js';

const A = 'iso-a';
const B = 'iso-b';
const t0 = Date.now();
const since = () => `${((Date.now() - t0) / 1000).toFixed(0)}s`;
const scratch = mkdtempSync(join(tmpdir(), 'kvplay-multilab-'));

interface Info {
  dir: string;
  subnet: string;
  addr: Record<string, string>;
}
const info: Record<string, Info> = {};

function readInfo(name: string, root = labsRoot()): Info {
  const dir = join(root, name);
  const st = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
  const addr: Record<string, string> = {};
  for (const h of ['kvm1', 'kvm2', 'nfs']) addr[h] = `${st.subnet}.${{ kvm1: 2, kvm2: 3, nfs: 4 }[h]}`;
  return { dir, subnet: st.subnet, addr };
}

async function lab(args: string[], env: Record<string, string> = {}) {
  const r = await kvplay(['lab', ...args], { env });
  return { ...r, out: r.stdout + r.stderr };
}

/** A shell command line on a host of a named lab, through `kvplay lab ssh --name`. */
async function on(name: string, host: string, cmd: string) {
  return lab(['ssh', '--name', name, host, cmd]);
}

async function must(name: string, host: string, cmd: string): Promise<string> {
  const r = await on(name, host, cmd);
  assert.is(r.code, 0, `${name}/${host}: ${cmd}: rc=${r.code}\n${r.out}`);
  return r.stdout;
}

/** Links, policy rules, cgroups and state of a named lab left on the machine. */
async function remnants(name: string, root = labsRoot()): Promise<string[]> {
  const n = labLinkNames(name);
  const out: string[] = [];
  const links = JSON.parse((await run('ip', ['-j', 'link'])).stdout) as { ifname: string }[];
  for (const l of links) if ([n.bridge, ...n.veths].includes(l.ifname)) out.push(`link ${l.ifname}`);
  for (const f of ['-4', '-6']) {
    const rules = JSON.parse((await run('ip', ['-j', f, 'rule'])).stdout) as { iif?: string }[];
    if (rules.some((r) => r.iif === n.bridge)) out.push(`rule ${f} iif ${n.bridge}`);
  }
  for (const d of ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified'])
    if (existsSync(d)) for (const e of readdirSync(d)) if (e.startsWith(`kvplay-lab-${name}-`)) out.push(`cgroup ${d}/${e}`);
  if (existsSync(join(root, name))) out.push(`state ${join(root, name)}`);
  return out;
}

test.before(async () => {
  for (const n of [A, B, 'iso-c', 'iso-z']) await lab(['down', '--name', n]);
});

test.after(async () => {
  for (const n of [A, B, 'iso-c', 'iso-z']) await lab(['down', '--name', n]);
  await run('ip', ['link', 'del', labLinkNames('iso-z').bridge]);
  await lab(['down', '--all'], { KVPLAY_LAB_DIR: join(scratch, 'lab') });
  rmSync(scratch, { recursive: true, force: true });
});

test('two named labs: own bridge, subnet, state dir, inventory, known_hosts', async () => {
  for (const n of [A, B]) {
    const r = await lab(['up', '--name', n]);
    assert.is(r.code, 0, r.out);
    assert.match(r.stdout, `kvplay lab ssh --name ${n} kvm1`);
    info[n] = readInfo(n);
  }
  console.log(`    two labs up (${since()})`);
  assert.is.not(info[A].subnet, info[B].subnet);
  const [na, nb] = [labLinkNames(A), labLinkNames(B)];
  assert.is.not(na.bridge, nb.bridge);
  for (const [name, n] of [[A, na], [B, nb]] as const) {
    const links = JSON.parse((await run('ip', ['-j', 'link', 'show', 'master', n.bridge])).stdout).map((l: { ifname: string }) => l.ifname).sort();
    assert.equal(links, [...n.veths].sort(), `${name}'s hosts are on ${n.bridge}`);
    const inv = readFileSync(join(info[name].dir, 'inventory.yaml'), 'utf8');
    assert.match(inv, `ansible_host: ${info[name].addr.kvm1}`);
    assert.match(inv, join(info[name].dir, 'known_hosts'));
    assert.match(readFileSync(join(info[name].dir, 'known_hosts'), 'utf8'), info[name].addr.nfs);
  }
  // the hosts' own keys differ between the labs
  assert.is.not(readFileSync(join(info[A].dir, 'known_hosts'), 'utf8'), readFileSync(join(info[B].dir, 'known_hosts'), 'utf8'));
  assert.match(await must(B, 'kvm1', 'hostname; ip -4 -o addr show dev eth0'), new RegExp(`kvm1\\n.*inet ${info[B].addr.kvm1.replace(/\./g, '\\.')}/24`));
  const list = await lab(['list']);
  assert.is(list.code, 0, list.out);
  for (const n of [A, B]) assert.match(list.stdout, new RegExp(`^${n}\\s+up\\s+3/3\\s+${info[n].subnet.replace(/\./g, '\\.')}\\.0/24\\s+${labLinkNames(n).bridge}\\s+\\d+ MiB`, 'm'));
  const st = await lab(['status', '--name', A]);
  assert.is(st.code, 0, st.out);
  assert.match(st.stdout, `lab ${A} up`);
});

test('the same subnet is refused (and nothing of the refused lab is left)', async () => {
  const r = await lab(['up', '--name', 'iso-c', '--subnet', info[A].subnet]);
  assert.is(r.code, 1, r.out);
  assert.match(r.stderr, `subnet ${info[A].subnet}.0/24 is taken by lab ${A}`);
  assert.equal(await remnants('iso-c'), []);
});

test('a link of the same name (not this lab\'s) is refused, not adopted', async () => {
  const br = labLinkNames('iso-z').bridge;
  assert.is((await run('ip', ['link', 'add', br, 'type', 'bridge'])).code, 0);
  const r = await lab(['up', '--name', 'iso-z']);
  assert.is(r.code, 1, r.out);
  assert.match(r.stderr, `a network link ${br} exists already`);
  assert.not.ok(existsSync(join(labsRoot(), 'iso-z', 'state.json')));
  await run('ip', ['link', 'del', br]);
});

test('a host of one lab cannot reach the other lab (ping, ssh port, showmount), even routed via its gateway', async () => {
  // the NFS server on lab B, through `kvplay --lab`: showmount then has something to find
  const nfs = await kvplay([join(ROOT, 'playbooks', 'site.yaml'), '--lab', B, '--tags', 'nfs']);
  assert.is(nfs.code, 0, nfs.stdout + nfs.stderr);
  assert.match(nfs.stderr + nfs.stdout, `using lab ${B}'s inventory`);
  console.log(`    nfs stage on ${B} (${since()})`);
  const bNfs = info[B].addr.nfs;
  // (the machine drops what it does not forward without an ICMP error: a failing probe waits for its
  // timeout; showmount ignores SIGTERM while its TCP connect retries, hence KILL)
  const probes = (addr: string) =>
    `ping -c1 -W2 ${addr} >/dev/null 2>&1 && echo ping-ok || echo ping-fail; ` +
    `timeout -s KILL 4 nc -z -w 3 ${addr} 22 >/dev/null 2>&1 && echo ssh-ok || echo ssh-fail; ` +
    `timeout -s KILL 6 showmount -e ${addr} 2>/dev/null | grep -q /nfsshare && echo nfs-ok || echo nfs-fail`;
  // within lab B everything answers (the probes can succeed)
  assert.equal((await must(B, 'kvm1', probes(bNfs))).trim().split('\n'), ['ping-ok', 'ssh-ok', 'nfs-ok']);
  // within lab A too (its own nfs host: ping and ssh)
  assert.equal((await must(A, 'kvm1', probes(info[A].addr.nfs))).trim().split('\n').slice(0, 2), ['ping-ok', 'ssh-ok']);
  // from lab A to lab B: nothing, with no route ...
  assert.equal((await must(A, 'kvm1', probes(bNfs))).trim().split('\n'), ['ping-fail', 'ssh-fail', 'nfs-fail']);
  // ... and with a route through lab A's gateway (the machine does not forward between labs)
  await must(A, 'kvm1', `ip route replace ${info[B].subnet}.0/24 via ${info[A].subnet}.1`);
  assert.equal((await must(A, 'kvm1', probes(bNfs))).trim().split('\n'), ['ping-fail', 'ssh-fail', 'nfs-fail']);
  // both ways
  await must(B, 'kvm2', `ip route replace ${info[A].subnet}.0/24 via ${info[B].subnet}.1`);
  assert.equal((await must(B, 'kvm2', probes(info[A].addr.kvm1))).trim().split('\n').slice(0, 2), ['ping-fail', 'ssh-fail']);
  // the machine's policy rules: forwarding from either lab bridge is unreachable, whatever ip_forward says
  const rules = JSON.parse((await run('ip', ['-j', '-4', 'rule'])).stdout) as { iif?: string; action?: string }[];
  for (const n of [A, B]) assert.ok(rules.some((r) => r.iif === labLinkNames(n).bridge && r.action === 'unreachable'), `rule for ${n}`);
  console.log(`    isolation probed (${since()})`);
});

test('--lab NAME and KVPLAY_LAB pick that lab\'s inventory; a lab that is not up is an error', async () => {
  const pb = writePlaybook(scratch, 'net.yaml', '- hosts: nfs_servers\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: "net={{ lab_network }} host={{ ansible_host }}"\n');
  const byEnv = await kvplay([pb], { env: { KVPLAY_LAB: A } });
  assert.is(byEnv.code, 0, byEnv.stdout + byEnv.stderr);
  assert.match(byEnv.stdout, `net=${info[A].subnet}.0/24 host=${info[A].addr.nfs}`);
  const byFlag = await kvplay([pb, '--lab', B], { env: { KVPLAY_LAB: A } });
  assert.is(byFlag.code, 0, byFlag.stdout + byFlag.stderr);
  assert.match(byFlag.stdout, `net=${info[B].subnet}.0/24 host=${info[B].addr.nfs}`);
  const gone = await kvplay([pb, '--lab', 'iso-nope']);
  assert.is(gone.code, 1);
  assert.match(gone.stdout + gone.stderr, /lab iso-nope is not up/);
  const both = await kvplay([pb, '--lab', A, '-i', join(info[A].dir, 'inventory.yaml')]);
  assert.is(both.code, 1);
  assert.match(both.stdout + both.stderr, /--lab and -i both/);
  // `kvplay lab ssh` follows KVPLAY_LAB too
  const ssh = await lab(['ssh', 'nfs', 'ip -4 -o addr show dev eth0'], { KVPLAY_LAB: B });
  assert.is(ssh.code, 0, ssh.out);
  assert.match(ssh.stdout, `inet ${info[B].addr.nfs}/24`);
});

test('down of one lab leaves the other running; then nothing of either is left', async () => {
  const r = await lab(['down', '--name', A]);
  assert.is(r.code, 0, r.out);
  assert.equal(await remnants(A), []);
  assert.match(await must(B, 'kvm1', 'echo alive'), /alive/);
  assert.is((await lab(['down', '--name', B])).code, 0);
  assert.equal(await remnants(B), []);
});

test('a class: up --count 2 --prefix cls, list, down --all (scratch KVPLAY_LAB_DIR)', async () => {
  const env = { KVPLAY_LAB_DIR: join(scratch, 'lab') };
  const root = join(scratch, 'labs');
  const t = Date.now();
  const up = await lab(['up', '--count', '2', '--prefix', 'cls'], env);
  assert.is(up.code, 0, up.out);
  console.log(`    class of 2 up in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  assert.match(up.stdout, /2 of 2 labs up in/);
  const [c1, c2] = [readInfo('cls1', root), readInfo('cls2', root)];
  assert.is.not(c1.subnet, c2.subnet);
  const list = await lab(['list'], env);
  assert.equal(list.stdout.split('\n').filter((l) => /^cls\d/.test(l)).map((l) => l.split(/\s+/).slice(0, 3).join(' ')), ['cls1 up 3/3', 'cls2 up 3/3']);
  assert.not.match(list.stdout, /^default /m, 'the scratch root has no default lab');
  const hi = await lab(['ssh', '--name', 'cls2', 'kvm1', 'hostname -I'], env);
  assert.is(hi.code, 0, hi.out);
  assert.match(hi.stdout, c2.addr.kvm1);
  const down = await lab(['down', '--all'], env);
  assert.is(down.code, 0, down.out);
  assert.match(down.stdout, /2 of 2 labs down/);
  for (const n of ['cls1', 'cls2']) assert.equal(await remnants(n, root), []);
  assert.match((await lab(['list'], env)).stdout, /no labs/);
});

test.run();
