/** The guest builder (src/guest): cpio writer, module order, init script, and a hermetic build from fake .deb files. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpioNewc, readCpioNewc } from '../../../src/guest/cpio.js';
import { ACPI_POWER_HANDLER, GUEST_MODULES, INIT_SCRIPT, loadOrder, moduleDepends } from '../../../src/guest/init.js';
import { buildGuest } from '../../../src/guest/build.js';

test('cpio newc round trip (files, dirs, links, device nodes, 4-byte alignment)', () => {
  const a = cpioNewc([
    { type: 'dir', path: 'bin' },
    { type: 'file', path: '/bin/x', data: 'abcde', mode: 0o755 },
    { type: 'symlink', path: 'bin/sh', target: 'x' },
    { type: 'char', path: 'dev/console', major: 5, minor: 1 },
  ]);
  assert.is(a.length % 4, 0);
  const e = readCpioNewc(a);
  assert.equal(e.map((x) => [x.name, x.mode.toString(8)]), [['bin', '40755'], ['bin/x', '100755'], ['bin/sh', '120777'], ['dev/console', '20600']]);
  assert.is(e[1].data.toString(), 'abcde');
  assert.is(e[2].data.toString(), 'x');
  assert.equal([e[3].rmaj, e[3].rmin], [5, 1]);
  assert.throws(() => cpioNewc([{ type: 'dir', path: '../etc' }]), /bad path/);
});

test('module dependencies from .modinfo, loaded dependencies first', () => {
  const ko = Buffer.concat([Buffer.from('\x7fELF junk\0license=GPL\0depends=virtio_ring,virtio\0name=virtio_net\0')]);
  assert.equal(moduleDepends(ko), ['virtio_ring', 'virtio']);
  assert.equal(moduleDepends(Buffer.from('\0depends=\0')), []);
  const deps = new Map([
    ['virtio_ring', []], ['virtio', ['virtio_ring']], ['virtio_pci', ['virtio_ring', 'virtio']], ['virtio_net', ['virtio', 'net_failover']],
    ['net_failover', ['failover']], ['failover', []],
  ]);
  assert.equal(loadOrder(['virtio_pci', 'virtio_net'], deps), ['virtio_ring', 'virtio', 'virtio_pci', 'failover', 'net_failover', 'virtio_net']);
  assert.throws(() => loadOrder(['x'], deps), /kernel module x not found/);
  assert.throws(() => loadOrder(['a'], new Map([['a', ['b']], ['b', ['a']]])), /cycle: a -> b -> a/);
});

test('init and the ACPI handler are valid sh', () => {
  execFileSync('sh', ['-n', '-c', INIT_SCRIPT]);
  execFileSync('sh', ['-n', '-c', ACPI_POWER_HANDLER]);
  assert.match(INIT_SCRIPT, /kvplay-counter/);
});

/** A .deb with the given files (dpkg-deb --build). */
function fakeDeb(dir: string, name: string, files: Record<string, Buffer | string>): string {
  const root = join(dir, name);
  mkdirSync(join(root, 'DEBIAN'), { recursive: true });
  writeFileSync(join(root, 'DEBIAN', 'control'), `Package: ${name}\nVersion: 1.0\nArchitecture: amd64\nMaintainer: t <t@t>\nDescription: test\n`);
  for (const [p, d] of Object.entries(files)) {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), d);
  }
  const deb = join(dir, `${name}_1.0_amd64.deb`);
  execFileSync('dpkg-deb', ['--build', '-Znone', root, deb], { stdio: 'ignore' });
  return deb;
}

test('buildGuest from (fake) Debian packages: kernel, busybox, init, modules in order; cached', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvplay-guest-'));
  const env = { ...process.env };
  try {
    const k = 'lib/modules/6.1.0-9-amd64/kernel/';
    const ko = (deps: string) => Buffer.from(`\x7fELF\0depends=${deps}\0`);
    process.env.KVPLAY_CACHE_DIR = join(dir, 'cache');
    process.env.KVPLAY_GUEST_KERNEL_DEB = fakeDeb(dir, 'linux-image-6.1.0-9-amd64', {
      'boot/vmlinuz-6.1.0-9-amd64': 'KERNEL',
      [k + 'drivers/virtio/virtio_ring.ko']: ko(''),
      [k + 'drivers/virtio/virtio.ko']: ko('virtio_ring'),
      [k + 'drivers/virtio/virtio_pci_modern_dev.ko']: ko(''),
      [k + 'drivers/virtio/virtio_pci_legacy_dev.ko']: ko(''),
      [k + 'drivers/virtio/virtio_pci.ko']: ko('virtio_ring,virtio_pci_modern_dev,virtio_pci_legacy_dev,virtio'),
      [k + 'drivers/block/virtio_blk.ko']: ko('virtio,virtio_ring'),
      [k + 'net/core/failover.ko']: ko(''),
      [k + 'drivers/net/net_failover.ko']: ko('failover'),
      [k + 'drivers/net/virtio_net.ko']: ko('virtio_ring,virtio,net_failover'),
      [k + 'drivers/input/evdev.ko']: ko(''),
      [k + 'drivers/acpi/button.ko']: ko(''),
      [k + 'drivers/unrelated.ko']: ko(''),
    });
    process.env.KVPLAY_GUEST_BUSYBOX_DEB = fakeDeb(dir, 'busybox-static', { 'bin/busybox': 'BUSYBOX' });
    const g = await buildGuest();
    assert.is(g.built, true);
    assert.is(g.kernelVersion, '6.1.0-9-amd64');
    assert.equal(g.modules, ['virtio_ring', 'virtio_pci_modern_dev', 'virtio_pci_legacy_dev', 'virtio', 'virtio_pci', 'virtio_blk', 'failover', 'net_failover', 'virtio_net', 'evdev', 'button']);
    assert.is(readFileSync(g.kernel, 'utf8'), 'KERNEL');
    const files = readCpioNewc(gunzipSync(readFileSync(g.initrd)));
    const names = files.map((f) => f.name);
    for (const n of ['init', 'bin/busybox', 'dev/console', 'etc/acpi/PWRF/00000080', 'etc/modules.order', 'lib/modules/virtio_net.ko']) assert.ok(names.includes(n), n);
    assert.not.ok(names.includes('lib/modules/unrelated.ko'));
    assert.is(files.find((f) => f.name === 'etc/modules.order')!.data.toString(), g.modules.join('\n') + '\n');
    assert.is(files.find((f) => f.name === 'init')!.data.toString(), INIT_SCRIPT);
    const again = await buildGuest();
    assert.is(again.built, false);
    assert.equal(again.sha256, g.sha256);
    assert.equal(GUEST_MODULES.every((m) => g.modules.includes(m)), true);
  } finally {
    for (const key of ['KVPLAY_CACHE_DIR', 'KVPLAY_GUEST_KERNEL_DEB', 'KVPLAY_GUEST_BUSYBOX_DEB']) {
      if (env[key] === undefined) delete process.env[key];
      else process.env[key] = env[key];
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
