/**
 * One VM of the VM lab: a qcow2 overlay over the cached base image, an identity handed in through
 * QEMU fw_cfg (hostname, address, host key, authorized key; read by kvplay-identity.service on
 * first boot), and a daemonized QEMU started inside the lab's network namespace with -pidfile.
 * Only processes whose PID file we wrote and whose command line names this VM's directory are
 * ever signalled.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { HostDef } from './config.js';
import { ourPid, pidAlive, run, runOk, sleep } from './sys.js';
import { VM_HOSTS, VM_NETNS, vmHostPaths, vmMac, vmMemory, vmTap } from './vmconfig.js';
import type { VmImage } from './vmimage.js';

export type Accel = 'kvm' | 'tcg';

export const vmAddress = (subnet: string, h: HostDef) => `${subnet}.${h.octet}`;

/** The VM's QEMU PID when it runs (recorded PID, alive, command line naming this VM's PID file). */
export function vmPid(h: HostDef): number | undefined {
  const p = vmHostPaths(h);
  return ourPid(p.pid, p.pid);
}

/** Resident memory of the VM's QEMU process in MiB. */
export function vmRssMiB(h: HostDef): number | undefined {
  const pid = vmPid(h);
  if (!pid) return undefined;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

export interface VmIdentity {
  subnet: string;
  clientPubKey: string;
  studentPassword: string;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

export function hostsFile(subnet: string, h: HostDef): string {
  return ['127.0.0.1\tlocalhost', `127.0.1.1\t${h.name}.lab ${h.name}`, '::1\tlocalhost ip6-localhost ip6-loopback']
    .concat(VM_HOSTS.map((o) => `${vmAddress(subnet, o)}\t${o.name}.lab ${o.name}`))
    .concat([`${subnet}.1\tlabgw.lab labgw`, ''])
    .join('\n');
}

export function nmKeyfile(subnet: string, h: HostDef): string {
  return [
    '[connection]', 'id=lab', `uuid=${randomUUID()}`, 'type=ethernet', 'autoconnect=true', '',
    '[ethernet]', '',
    '[ipv4]', 'method=manual', `address1=${vmAddress(subnet, h)}/24`, '',
    '[ipv6]', 'method=disabled', '',
  ].join('\n');
}

/** The VM's public host key ("ssh-ed25519 AAAA..."), once prepared. */
export function vmHostKey(h: HostDef): string | undefined {
  const f = vmHostPaths(h).hostKey + '.pub';
  return existsSync(f) ? readFileSync(f, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ') : undefined;
}

/** A fresh overlay (unless one exists), the host key and the fw_cfg identity file. */
export async function prepareVm(h: HostDef, img: VmImage, id: VmIdentity): Promise<boolean> {
  const p = vmHostPaths(h);
  mkdirSync(p.dir, { recursive: true });
  const fresh = !existsSync(p.disk);
  if (fresh) {
    rmSync(p.disk + '.tmp', { force: true });
    await runOk('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', img.disk, '-F', 'raw', p.disk + '.tmp']);
    await runOk('mv', ['-f', p.disk + '.tmp', p.disk]);
  }
  if (!existsSync(p.hostKey) || !existsSync(p.hostKey + '.pub')) {
    rmSync(p.hostKey, { force: true });
    rmSync(p.hostKey + '.pub', { force: true });
    await runOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `root@${h.name}`, '-f', p.hostKey]);
  }
  const addr = vmAddress(id.subnet, h);
  const fields: [string, string][] = [
    ['hostname', `${h.name}\n`],
    ['hosts', hostsFile(id.subnet, h)],
    ['host_uuid', `${h.uuid}\n`],
    ['lab', `host=${h.name}\naddress=${addr}\nrole=${h.role}\nflavour=vm\n`],
    ['authorized_keys', id.clientPubKey.trim() + '\n'],
    ['hostkey', readFileSync(p.hostKey, 'utf8')],
    ['hostkey_pub', readFileSync(p.hostKey + '.pub', 'utf8')],
    ['nmconnection', nmKeyfile(id.subnet, h)],
    ['student_password', id.studentPassword],
  ];
  writeFileSync(p.seed, fields.map(([k, v]) => `${k}=${b64(v)}`).join('\n') + '\n', { mode: 0o600 });
  return fresh;
}

export function qemuArgs(h: HostDef, img: VmImage, repoDisk: string, accel: Accel): string[] {
  const p = vmHostPaths(h);
  return [
    '-name', `kvplay-${h.name}`,
    '-nodefaults', '-machine', 'q35',
    ...(accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg,tb-size=256', '-cpu', 'max']),
    '-m', String(vmMemory(h)), '-smp', '1',
    '-kernel', img.kernel, '-initrd', img.initrd,
    '-append', 'root=/dev/vda ro console=ttyS0 quiet',
    '-drive', `file=${p.disk},if=virtio,format=qcow2,cache=writeback`,
    '-drive', `file=${repoDisk},if=virtio,format=raw,readonly=on`,
    '-netdev', `tap,id=n0,ifname=${vmTap(h)},script=no,downscript=no`,
    '-device', `virtio-net-pci,netdev=n0,mac=${vmMac(h)}`,
    '-device', 'virtio-rng-pci',
    '-fw_cfg', `name=opt/kvplay/identity,file=${p.seed}`,
    '-chardev', `socket,id=ser0,path=${p.serial},server=on,wait=off,logfile=${p.console},logappend=on`,
    '-serial', 'chardev:ser0',
    '-monitor', `unix:${p.monitor},server=on,wait=off`,
    '-display', 'none', '-daemonize', '-pidfile', p.pid,
  ];
}

/** Start the VM's QEMU (daemonized, in the lab's namespace) unless it runs. */
export async function startVm(h: HostDef, img: VmImage, repoDisk: string, accel: Accel): Promise<number> {
  const running = vmPid(h);
  if (running) return running;
  const p = vmHostPaths(h);
  rmSync(p.pid, { force: true });
  for (const s of [p.monitor, p.serial]) rmSync(s, { force: true });
  const r = await run('ip', ['netns', 'exec', VM_NETNS, 'qemu-system-x86_64', ...qemuArgs(h, img, repoDisk, accel)]);
  writeFileSync(p.qemuLog, r.stdout + r.stderr);
  const pid = vmPid(h);
  if (r.code !== 0 || !pid) throw new Error(`${h.name}: qemu did not start (exit ${r.code}): ${(r.stderr || r.stdout).trim().split('\n').slice(-5).join('\n')}`);
  return pid;
}

/** Stop VMs: SIGTERM the recorded QEMU PIDs (the overlay is thrown away or kept as is), SIGKILL after 10 s. */
export async function stopVms(hosts: HostDef[]): Promise<void> {
  const pids = hosts.map(vmPid).filter((x): x is number => !!x);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {}
  }
  const t0 = Date.now();
  while (pids.some(pidAlive) && Date.now() - t0 < 10_000) await sleep(100);
  for (const pid of pids)
    if (pidAlive(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
  for (const h of hosts) rmSync(vmHostPaths(h).pid, { force: true });
}

/**
 * Does /dev/kvm really run a guest here? (It can exist and still fail: "failed to set MSR 0x10a",
 * or hang.) Boots the image's kernel without a root file system and waits for its panic.
 */
export async function probeKvm(kernel: string, timeoutMs = 30_000): Promise<{ accel: Accel; why: string }> {
  if (!existsSync('/dev/kvm')) return { accel: 'tcg', why: 'no /dev/kvm' };
  return new Promise((resolve) => {
    const args = ['-accel', 'kvm', '-cpu', 'host', '-machine', 'q35', '-m', '256', '-nodefaults', '-display', 'none', '-no-reboot',
      '-kernel', kernel, '-append', 'console=ttyS0 panic=-1 root=/dev/kvplay-none', '-serial', 'stdio'];
    const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let done = false;
    const finish = (accel: Accel, why: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        child.kill('SIGKILL');
      } catch {}
      resolve({ accel, why });
    };
    const timer = setTimeout(() => finish('tcg', `/dev/kvm present, but a test guest did not reach its kernel panic within ${timeoutMs / 1000} s`), timeoutMs);
    const onData = (d: Buffer) => {
      out += d;
      if (/Kernel panic|VFS: Unable to mount root/.test(out)) finish('kvm', 'a test guest booted its kernel under KVM');
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (e) => finish('tcg', `cannot run qemu-system-x86_64: ${e.message}`));
    child.on('close', (code, sig) => finish('tcg', `/dev/kvm present, but KVM failed (qemu ${code ?? sig}): ${out.trim().split('\n').slice(-1)[0] ?? ''}`));
  });
}
