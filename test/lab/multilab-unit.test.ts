// Class labs, the pure parts (no root, no containers): lab names, link names, the options of
// `kvplay lab`, subnet choice against routes and other labs' state.
// KVPLAY_LAB_DIR points at a scratch dir BEFORE the lab modules load, so the labs "on this machine"
// are the fake state dirs written here.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const scratch = mkdtempSync(join(tmpdir(), 'kvplay-multilab-'));
process.env.KVPLAY_LAB_DIR = join(scratch, 'lab');
process.env.KVPLAY_VMLAB_DIR = join(scratch, 'vmlab');
delete process.env.KVPLAY_LAB_SUBNET;
delete process.env.KVPLAY_LAB_BRIDGE;

const cfg = await import('../../src/lab/config.js');
const { parseLabArgs } = await import('../../src/lab/labargs.js');
const { chooseLabSubnet, knownLabs, parseSubnet, NAMED_SUBNET_CANDIDATES } = await import('../../src/lab/registry.js');
const { formatList } = await import('../../src/lab/class.js');
const { LabError } = await import('../../src/lab/sys.js');

function fakeLab(name: string, subnet: string): void {
  const dir = name === 'default' ? join(scratch, 'lab') : join(scratch, 'labs', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'state.json'), JSON.stringify({ name, subnet, bridge: 'x', createdAt: '', complete: true }));
}

test.after.each(() => {
  cfg.selectLab('default');
  rmSync(join(scratch, 'labs'), { recursive: true, force: true });
  rmSync(join(scratch, 'lab'), { recursive: true, force: true });
  rmSync(join(scratch, 'vmlab'), { recursive: true, force: true });
});
test.after(() => rmSync(scratch, { recursive: true, force: true }));

test('the default lab keeps its names, state dir and machine/cgroup names', () => {
  cfg.selectLab('default');
  assert.is(cfg.BRIDGE, 'kvplay0');
  assert.equal(cfg.HOSTS.map((h) => h.veth), ['kvp-kvm1', 'kvp-kvm2', 'kvp-nfs']);
  assert.is(cfg.labDir(), join(scratch, 'lab'));
  assert.is(cfg.machineName(cfg.HOSTS[0]), 'kvplay-kvm1');
  assert.is(cfg.cgroupName(cfg.HOSTS[2]), 'kvplay-lab-nfs');
});

test('a named lab: its own bridge, veths, state dir, machine and cgroup names (live bindings)', () => {
  cfg.selectLab('student1');
  const stem = cfg.labStem('student1');
  assert.match(stem, /^kvp[0-9a-f]{4}$/);
  assert.is(cfg.BRIDGE, `${stem}-br`);
  assert.equal(cfg.HOSTS.map((h) => h.veth), [`${stem}-kvm1`, `${stem}-kvm2`, `${stem}-nfs`]);
  assert.is(cfg.labDir(), join(scratch, 'labs', 'student1'));
  assert.is(cfg.paths.inventory(), join(scratch, 'labs', 'student1', 'inventory.yaml'));
  assert.is(cfg.paths.knownHosts(), join(scratch, 'labs', 'student1', 'known_hosts'));
  assert.is(cfg.machineName(cfg.HOSTS[0]), 'kvplay-student1-kvm1');
  assert.is(cfg.cgroupName(cfg.HOSTS[1]), 'kvplay-lab-student1-kvm2');
  cfg.selectLab('student2');
  assert.is.not(cfg.BRIDGE, `${stem}-br`);
});

test('interface names stay within 15 characters, for the longest lab name too', () => {
  const longest = 'a' + 'b'.repeat(22) + 'c';
  assert.is(cfg.labNameProblem(longest), '');
  for (const name of ['default', 'a', longest, 'student10']) {
    const n = cfg.labLinkNames(name);
    for (const l of [n.bridge, ...n.veths]) assert.ok(l.length <= 15, `${l} is ${l.length} chars`);
  }
  const stems = new Set(Array.from({ length: 40 }, (_, i) => cfg.labStem(`student${i + 1}`)));
  assert.is(stems.size, 40, 'a class of 40 gets 40 distinct link names');
});

test('lab names: lowercase letter first, a-z 0-9 -, at most 24, no trailing dash', () => {
  for (const bad of ['', 'A', '1lab', 'lab-', 'la b', 'lab/x', 'a'.repeat(25), '../x', 'lab.1'])
    assert.ok(cfg.labNameProblem(bad), `${JSON.stringify(bad)} accepted`);
  assert.throws(() => cfg.selectLab('../etc'), (e: unknown) => e instanceof LabError);
  assert.is(cfg.selectedLab(), 'default', 'a refused name selects nothing');
});

test('kvplay lab options: --name, KVPLAY_LAB default, --count/--prefix, --all, ssh stops at the host', () => {
  assert.equal(parseLabArgs('up', []).names, ['default']);
  assert.equal(parseLabArgs('up', [], 'student3').names, ['student3']);
  assert.equal(parseLabArgs('up', ['--name', 't1'], 'student3').names, ['t1']);
  assert.equal(parseLabArgs('status', ['--name=t1']).names, ['t1']);
  const c = parseLabArgs('up', ['--count', '3', '--prefix', 'student']);
  assert.equal(c.names, ['student1', 'student2', 'student3']);
  assert.equal(parseLabArgs('up', ['--count', '2']).names, ['lab1', 'lab2']);
  assert.equal(parseLabArgs('up', ['--name', 't1', '--subnet', '10.99.7']).subnet, '10.99.7');
  const d = parseLabArgs('down', ['--all']);
  assert.ok(d.all);
  assert.equal(d.names, []);
  const s = parseLabArgs('ssh', ['--name', 't2', 'kvm1', 'ls', '--name', 'x']);
  assert.equal(s.names, ['t2']);
  assert.equal(s.rest, ['kvm1', 'ls', '--name', 'x']);
  const bad: [string, string[], RegExp][] = [
    ['up', ['--all'], /unknown option --all/],
    ['down', ['--all', '--name', 'x'], /exclude each other/],
    ['up', ['--count', '2', '--name', 'x'], /exclude each other/],
    ['up', ['--prefix', 'x'], /goes with --count/],
    ['up', ['--count', '0'], /1 to 254/],
    ['up', ['--count', 'two'], /1 to 254/],
    ['up', ['--count', '2', '--subnet', '10.1.2'], /for one lab/],
    ['up', ['--name'], /needs a value/],
    ['up', ['--name', 'Bad'], /invalid lab name/],
    ['up', ['--count', '2', '--prefix', 'X'], /invalid lab name/],
    ['up', ['stray'], /unexpected argument/],
    ['status', ['--subnet', '1.2.3'], /unknown option --subnet/],
    ['list', ['--name', 'x'], /unknown option/],
  ];
  for (const [cmd, args, re] of bad) assert.throws(() => parseLabArgs(cmd, args), (e: unknown) => e instanceof LabError && re.test(e.message), `${cmd} ${args.join(' ')}`);
});

test('subnets: --subnet forms; a subnet held by another lab or a route is refused; free ones skip both', () => {
  assert.is(parseSubnet('10.99.7'), '10.99.7');
  assert.is(parseSubnet('10.99.7.0/24'), '10.99.7');
  assert.throws(() => parseSubnet('10.99.300'), /invalid subnet/);
  assert.throws(() => parseSubnet('10.99.7.5'), /invalid subnet/);
  fakeLab('default', '10.237.20');
  fakeLab('t1', NAMED_SUBNET_CANDIDATES[0]);
  mkdirSync(join(scratch, 'vmlab'), { recursive: true });
  writeFileSync(join(scratch, 'vmlab', 'state.json'), JSON.stringify({ subnet: NAMED_SUBNET_CANDIDATES[1] }));
  assert.equal(knownLabs(), ['default', 't1']);
  cfg.selectLab('t2');
  // t1's state and the VM lab's state count even without their routes (a lab half up)
  assert.is(chooseLabSubnet([]), NAMED_SUBNET_CANDIDATES[2]);
  assert.is(chooseLabSubnet([{ dst: `${NAMED_SUBNET_CANDIDATES[2]}.0/24`, dev: 'eth9' }]), NAMED_SUBNET_CANDIDATES[3]);
  // the lab's own bridge route is no collision (up again after a crash)
  assert.is(chooseLabSubnet([{ dst: `${NAMED_SUBNET_CANDIDATES[2]}.0/24`, dev: cfg.BRIDGE }]), NAMED_SUBNET_CANDIDATES[2]);
  assert.throws(() => chooseLabSubnet([], NAMED_SUBNET_CANDIDATES[0]), (e: unknown) => e instanceof LabError && /taken by lab t1/.test(e.message));
  assert.throws(() => chooseLabSubnet([], '10.237.20'), /taken by lab default/);
  assert.throws(() => chooseLabSubnet([{ dst: '10.50.0.0/16', dev: 'eth0' }], '10.50.3'), /collides with the route 10.50.0.0\/16 on eth0/);
  assert.is(chooseLabSubnet([], '10.50.3'), '10.50.3');
  // the default lab: its own candidates, minus what named labs hold
  cfg.selectLab('default');
  fakeLab('t3', '10.237.21');
  assert.is(chooseLabSubnet([{ dst: '10.237.20.0/24', dev: 'kvplay0' }]), '10.237.20');
  rmSync(join(scratch, 'lab'), { recursive: true, force: true });
  fakeLab('t4', '10.237.20');
  assert.is(chooseLabSubnet([]), '10.238.20');
});

test('lab list: a row per lab with its state, subnet and memory; a total', () => {
  const m = (pss: number) => ({ rssKiB: pss * 2, pssKiB: pss, procs: 3 });
  const text = formatList([
    { name: 'default', up: true, running: 3, subnet: '10.237.20.0/24', bridge: 'kvplay0', stateDir: '/s/lab', memory: m(300 * 1024) },
    { name: 'student1', up: false, running: 1, subnet: '10.239.1.0/24', bridge: 'kvpabcd-br', stateDir: '/s/labs/student1', memory: m(40 * 1024) },
  ]);
  const lines = text.split('\n');
  assert.match(lines[0], /^NAME\s+STATE\s+HOSTS\s+SUBNET\s+BRIDGE\s+MEMORY \(PSS\)\s+STATE DIR$/);
  assert.match(lines[1], /^default\s+up\s+3\/3\s+10\.237\.20\.0\/24\s+kvplay0\s+300 MiB\s+\/s\/lab$/);
  assert.match(lines[2], /^student1\s+partial\s+1\/3\s+10\.239\.1\.0\/24\s+kvpabcd-br\s+40 MiB/);
  assert.match(lines[3], /total memory \(PSS\) of 2 labs: 340 MiB/);
  assert.match(formatList([]), /no labs/);
});

test.run();
