// One VM lab per machine (no root, no QEMU): the machine-wide lock and owner file, a second VM lab
// refused with a clear message, the container labs' subnets never given to the VM lab.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabError, withLock } from '../../src/lab/sys.js';
import { vmPaths } from '../../src/lab/vmconfig.js';
import { otherVmLab, vmLabDown, vmLabUp } from '../../src/lab/vmlab.js';
import { chooseVmSubnet } from '../../src/lab/vmnet.js';
import { labMain } from '../../src/lab/index.js';

const base = mkdtempSync(join(tmpdir(), 'kvplay-vmlock-'));
process.env.KVPLAY_VMLAB_RUN_DIR = join(base, 'run');
process.env.KVPLAY_VMLAB_DIR = join(base, 'mine', 'vmlab');
process.env.KVPLAY_LAB_DIR = join(base, 'containers', 'lab');
process.env.KVPLAY_CACHE_DIR = join(base, 'cache');
const other = join(base, 'other', 'vmlab');

/** Another VM lab (state dir `other`) holds the machine's VM network. */
function otherIsUp(): void {
  mkdirSync(other, { recursive: true });
  writeFileSync(join(other, 'state.json'), JSON.stringify({ subnet: '10.237.30', complete: true }));
  mkdirSync(process.env.KVPLAY_VMLAB_RUN_DIR!, { recursive: true });
  writeFileSync(vmPaths.owner(), other + '\n');
}

test('the lock and the owner file are machine-wide, not per state dir', () => {
  assert.is(vmPaths.lock(), join(base, 'run', 'vmlab.lock'));
  const before = vmPaths.lock();
  process.env.KVPLAY_VMLAB_DIR = join(base, 'elsewhere');
  try {
    assert.is(vmPaths.lock(), before);
  } finally {
    process.env.KVPLAY_VMLAB_DIR = join(base, 'mine', 'vmlab');
  }
});

test('otherVmLab: none, ours, another one that is up, a stale owner file', () => {
  assert.is(otherVmLab(), null);
  otherIsUp();
  assert.is(otherVmLab(), other);
  writeFileSync(vmPaths.owner(), process.env.KVPLAY_VMLAB_DIR + '\n');
  assert.is(otherVmLab(), null, 'our own');
  writeFileSync(vmPaths.owner(), join(base, 'gone') + '\n');
  assert.is(otherVmLab(), null, 'its state dir is gone');
});

test('a second VM lab: up and down are refused, naming the one that is up and how to reach it', async () => {
  otherIsUp();
  try {
    await vmLabUp(() => {});
    assert.unreachable('up went on');
  } catch (e) {
    assert.instance(e, LabError);
    assert.match((e as LabError).message, `a VM lab is already up on this machine (state ${other}`);
    assert.match((e as LabError).message, 'one VM lab per machine');
    assert.match((e as LabError).hint!, `KVPLAY_VMLAB_DIR=${other} kvplay lab down --vm`);
  }
  // down must not remove the other lab's namespace
  try {
    await vmLabDown(() => {});
    assert.unreachable('down went on');
  } catch (e) {
    assert.match((e as Error).message, 'cannot take down the VM lab');
  }
  assert.is(readFileSync(vmPaths.owner(), 'utf8').trim(), other, 'owner file untouched');
});

test('CLI: `lab up --vm` while another VM lab is up says so and exits 1', async () => {
  otherIsUp();
  const err: string[] = [];
  const w = process.stderr.write.bind(process.stderr);
  (process.stderr as any).write = (s: string) => (err.push(String(s)), true);
  let rc: number;
  try {
    rc = await labMain(['up', '--vm']);
  } finally {
    (process.stderr as any).write = w;
  }
  const text = err.join('');
  if (/missing tool/.test(text)) return assert.unreachable(`the VM lab's tools are missing here: ${text}`);
  assert.is(rc, 1, text);
  assert.match(text, 'kvplay lab up --vm: error: cannot bring up the VM lab');
  assert.match(text, 'a VM lab is already up on this machine');
});

test('withLock: a held lock is announced once (holder PID), then the wait times out', async () => {
  const lock = join(base, 'held.lock');
  writeFileSync(lock, String(process.ppid)); // a live process that is not us
  const seen: number[] = [];
  try {
    await withLock(lock, async () => 1, 700, (pid) => seen.push(pid));
    assert.unreachable('took a held lock');
  } catch (e) {
    assert.match((e as Error).message, `another kvplay lab command (PID ${process.ppid}) holds ${lock}`);
  }
  assert.equal(seen, [process.ppid]);
});

test('subnet: a container lab\'s subnet is taken even while it is down; KVPLAY_VMLAB_SUBNET on it is refused', async () => {
  const lab = process.env.KVPLAY_LAB_DIR!;
  mkdirSync(lab, { recursive: true });
  writeFileSync(join(lab, 'state.json'), JSON.stringify({ subnet: '10.237.30' }));
  const free = await chooseVmSubnet();
  assert.is.not(free, '10.237.30');
  process.env.KVPLAY_VMLAB_SUBNET = '10.237.30';
  try {
    await chooseVmSubnet();
    assert.unreachable('took the container lab\'s subnet');
  } catch (e) {
    assert.match((e as Error).message, 'KVPLAY_VMLAB_SUBNET=10.237.30 is the subnet of lab default');
  } finally {
    delete process.env.KVPLAY_VMLAB_SUBNET;
  }
});

test.run();
