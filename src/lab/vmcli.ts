/** `kvplay lab <command> --vm`: the VM flavour's commands (same verbs as the container lab). */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { q } from '../util/quote.js';
import { LabError, withLock } from './sys.js';
import { VM_HOSTS, vmPaths } from './vmconfig.js';
import { VM_PREFLIGHT_TOOLS, vmLabBuild, vmLabDown, vmLabStatus, vmLabUp, vmPreflight, vmSshArgs } from './vmlab.js';

export const VM_USAGE = `VM flavour (real Debian kernels under QEMU; KVM when /dev/kvm works, else TCG):
  up --vm            build (first time, ~5 min) and boot kvm1, kvm2, nfs as VMs (~1-3 min under TCG)
  down --vm          stop the VMs (by their QEMU PIDs), remove their namespace and state (keeps the cache)
  reset --vm         down, then up: fresh overlays over the cached image
  status --vm        VMs, addresses, QEMU PIDs and RSS, accelerator
  ssh --vm HOST [CMD...]
  build --vm         build the VM image and the repository disk only
environment: KVPLAY_VMLAB_DIR (default /var/lib/kvplay/vmlab), KVPLAY_VMLAB_SUBNET (three octets),
             KVPLAY_VMLAB_NETNS (default kvplay-vm)`;

const out = (s: string) => process.stdout.write(s + '\n');

/** Another `lab ... --vm` command runs (an image build or a boot takes minutes): wait for it, and say so. */
const LOCK_WAIT_MS = 45 * 60_000;
const waitNote = (pid: number) =>
  out(`another kvplay lab --vm command (PID ${pid}) is running (one VM lab per machine; lock ${vmPaths.lock()}): waiting for it to finish ...`);

async function vmSsh(host: string | undefined, cmd: string[]): Promise<number> {
  const h = VM_HOSTS.find((x) => x.name === host);
  if (!h) {
    process.stderr.write(`kvplay lab ssh --vm: unknown host ${host ?? '(none)'}; hosts: ${VM_HOSTS.map((x) => x.name).join(', ')}\n`);
    return 2;
  }
  const hi = vmLabStatus().hosts.find((x) => x.name === h.name)!;
  if (!hi.address || !existsSync(vmPaths.key())) {
    process.stderr.write('kvplay lab ssh --vm: the VM lab is not up (run `kvplay lab up --vm`)\n');
    return 1;
  }
  const remote = cmd.length === 0 ? [] : cmd.length === 1 ? [cmd[0]] : [cmd.map(q).join(' ')];
  const extra = ['-o', 'ConnectTimeout=15', ...(cmd.length === 0 ? [] : ['-T'])];
  return new Promise((resolve) => {
    const child = spawn('ssh', [...vmSshArgs(hi.address, extra), ...(remote.length ? ['--', ...remote] : [])], { stdio: 'inherit' });
    child.on('error', (e) => {
      process.stderr.write(`kvplay lab ssh --vm: ${e.message}\n`);
      resolve(127);
    });
    child.on('close', (code, sig) => resolve(code ?? (sig ? 128 : 1)));
  });
}

function printVmStatus(): number {
  const s = vmLabStatus();
  out(`vm lab ${s.up ? 'up' : 'down'}  (state ${s.stateDir}, netns ${s.netns}${s.subnet ? `, ${s.subnet}` : ''}${s.accel ? `, ${s.accel}` : ''})`);
  for (const h of s.hosts) {
    const pid = h.running ? `qemu pid ${h.pid}${h.rssMiB !== undefined ? `, RSS ${h.rssMiB} MiB` : ''}` : '';
    out(`  ${h.name.padEnd(5)} ${(h.address || '-').padEnd(15)} ${(h.running ? 'running' : 'stopped').padEnd(8)} ${pid}`);
  }
  if (s.up) out(`inventory: ${vmPaths.inventory()}`);
  return s.up ? 0 : 3;
}

/** args without the --vm flag. */
export async function vmLabMain(args: string[]): Promise<number> {
  const [cmd, ...rest] = args;
  try {
    switch (cmd) {
      case 'up':
        vmPreflight();
        await withLock(vmPaths.lock(), () => vmLabUp(out), LOCK_WAIT_MS, waitNote);
        return 0;
      case 'down':
        vmPreflight(['ip']);
        await withLock(vmPaths.lock(), () => vmLabDown(out), LOCK_WAIT_MS, waitNote);
        return 0;
      case 'reset':
        vmPreflight();
        await withLock(vmPaths.lock(), async () => {
          await vmLabDown(out);
          await vmLabUp(out);
        }, LOCK_WAIT_MS, waitNote);
        return 0;
      case 'build':
        vmPreflight(VM_PREFLIGHT_TOOLS);
        await withLock(vmPaths.lock(), () => vmLabBuild(out), LOCK_WAIT_MS, waitNote);
        return 0;
      case 'status':
        return printVmStatus();
      case 'ssh':
        vmPreflight(['ssh']);
        return await vmSsh(rest[0], rest[1] === '--' ? rest.slice(2) : rest.slice(1));
      default:
        process.stderr.write(`kvplay lab: unknown command ${q(cmd ?? '')} with --vm\n${VM_USAGE}\n`);
        return 2;
    }
  } catch (e) {
    if (e instanceof LabError) {
      process.stderr.write(`kvplay lab ${cmd} --vm: error: ${e.message}\n${e.hint ? `  hint: ${e.hint}\n` : ''}`);
      return 1;
    }
    throw e;
  }
}
