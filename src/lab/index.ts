/**
 * `kvplay lab up|down|status|ssh HOST [CMD...]|reset|build` and the lab API for other code:
 * labStatus(), labInventoryPath(), ensureLab().
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { DEFAULT_LAB, HOSTS, labDir, paths, selectLab } from './config.js';
import { LabInfo, LabStatus, labBuild, labDown, labInfo, labStatus, labUp, sshArgs, waitSsh } from './lab.js';
import { downMany, formatList, listLabs, upMany } from './class.js';
import { parseLabArgs } from './labargs.js';
import { extraPackages, setExtraPackages } from './repo.js';
import { LabError, preflight, withLock } from './sys.js';
import { q } from '../util/quote.js';

export type { LabInfo, LabStatus, LabHostInfo } from './lab.js';
export { labStatus, labRemnants } from './lab.js';
export { detectStorage } from './inventory.js';
export { LabError } from './sys.js';

/**
 * Path of the generated inventory when the lab is up, else null. With `name`, that lab is selected
 * first (a LabError for an invalid name).
 */
export function labInventoryPath(name?: string): string | null {
  if (name !== undefined) selectLab(name);
  return labStatus().up && existsSync(paths.inventory()) ? paths.inventory() : null;
}

/** Bring the lab up unless it is up already; for tests that need real hosts. */
export async function ensureLab(log: (s: string) => void = () => {}): Promise<LabInfo> {
  preflight();
  return withLock(paths.lock(), async () => {
    const s = labStatus();
    if (s.up) {
      await Promise.all(s.hosts.map((h) => waitSsh(h.address)));
      return labInfo();
    }
    return labUp(log);
  });
}

const USAGE = `usage: kvplay lab <command> [--name NAME]
  up                 build (first time) and boot kvm1, kvm2, nfs; write inventory and known_hosts
    [--subnet A.B.C]   the lab's /24 (default: the first free one)
    [--count N [--prefix P]]  a class: labs P1..PN (default prefix: lab), one after the other
    [--packages A,B]   extra packages (and their dependencies) in the hosts' local apt repository,
                       kept for later ups until changed (none: no extras); also for reset and build
  down               stop the hosts, remove links, mounts and state (keeps the image cache)
    [--all | --count N --prefix P]  every lab on this machine / the labs P1..PN
  reset              down, then up: fresh hosts from the cached image
  status             hosts, addresses, running/stopped, PIDs
  list               the labs on this machine: state, subnet, bridge, memory
  ssh HOST [CMD...]  ssh into a lab host as root (one CMD word is a shell command line;
                     several words are quoted one by one)
  build              build the image and the local apt repository only
--name NAME: which lab (default: KVPLAY_LAB, else the default lab); each lab has its own bridge,
  subnet, state dir, inventory and known_hosts. \`kvplay --lab NAME PLAYBOOK\` runs on its inventory.
environment: KVPLAY_LAB (lab name), KVPLAY_CACHE_DIR (default /var/cache/kvplay),
             KVPLAY_LAB_DIR (default lab's state, default /var/lib/kvplay/lab; named labs: ../labs/NAME),
             KVPLAY_LAB_SUBNET (default lab, three octets, e.g. 10.99.7), KVPLAY_LAB_BRIDGE (default kvplay0)`;

const out = (s: string) => process.stdout.write(s + '\n');

function printStatus(s: LabStatus): void {
  out(`lab ${s.name === DEFAULT_LAB ? '' : `${s.name} `}${s.up ? 'up' : 'down'}  (state ${s.stateDir}, bridge ${s.bridge}${s.subnet ? `, ${s.subnet}` : ''})`);
  for (const h of s.hosts) {
    const pid = h.running ? `pid ${h.nspawnPid} (container init ${h.leaderPid ?? '?'}, supervisor ${h.supervisorPid ?? '?'})` : '';
    const state = h.running ? 'running' : h.supervisorPid ? 'booting' : 'stopped';
    out(`  ${h.name.padEnd(5)} ${(h.address || '-').padEnd(15)} ${state.padEnd(8)} ${pid}`);
  }
  if (s.up) out(`inventory: ${paths.inventory()}`);
}

async function sshCmd(host: string | undefined, cmd: string[]): Promise<number> {
  const h = HOSTS.find((x) => x.name === host);
  if (!h) {
    process.stderr.write(`kvplay lab ssh: unknown host ${host ?? '(none)'}; hosts: ${HOSTS.map((x) => x.name).join(', ')}\n`);
    return 2;
  }
  const s = labStatus();
  const hi = s.hosts.find((x) => x.name === h.name)!;
  if (!hi.address || !existsSync(paths.key())) {
    const n = s.name === DEFAULT_LAB ? '' : ` --name ${s.name}`;
    process.stderr.write(`kvplay lab ssh: the lab${n ? ` ${s.name}` : ''} is not up (run \`kvplay lab up${n}\`)\n`);
    return 1;
  }
  const remote = cmd.length === 0 ? [] : cmd.length === 1 ? [cmd[0]] : [cmd.map(q).join(' ')];
  const extra = cmd.length === 0 ? [] : ['-T'];
  return new Promise((resolve) => {
    const child = spawn('ssh', [...sshArgs(hi.address, extra), ...(remote.length ? ['--', ...remote] : [])], { stdio: 'inherit' });
    child.on('error', (e) => {
      process.stderr.write(`kvplay lab ssh: ${e.message}\n`);
      resolve(127);
    });
    child.on('close', (code, sig) => resolve(code ?? (sig ? 128 : 1)));
  });
}

export interface LabCliDefaults {
  /** the lab without --name (the CLI passes KVPLAY_LAB) */
  lab?: string;
}

export async function labMain(args: string[], defaults: LabCliDefaults = {}): Promise<number> {
  // `--vm` right before or after the command word: the VM flavour (src/lab/vmcli.ts)
  const vmAt = args.slice(0, 2).indexOf('--vm');
  if (vmAt >= 0) {
    if (args.some((a) => /^--(name|count|all)(=|$)/.test(a))) {
      process.stderr.write('kvplay lab: the VM lab is one per machine: --name, --count and --all are for container labs\n');
      return 2;
    }
    const { vmLabMain } = await import('./vmcli.js');
    return vmLabMain(args.filter((_, i) => i !== vmAt));
  }
  const cmd = args[0];
  const log = out;
  try {
    const known = ['up', 'down', 'reset', 'build', 'status', 'ssh', 'list'];
    const o = known.includes(cmd) ? parseLabArgs(cmd, args.slice(1), defaults.lab || DEFAULT_LAB) : undefined;
    const rest = o?.rest ?? [];
    if (o?.names.length === 1) selectLab(o.names[0]);
    // --packages: the repository's extra packages from now on (rebuilt at this build only when the set changed)
    if (o?.packages && o.packages.join(',') !== extraPackages().join(',')) {
      // running hosts see the repository directory bound at boot: a rebuild would pull it from under them
      const busy = (await listLabs()).filter((l) => l.running > 0 && !(cmd === 'reset' && l.name === o.names[0]));
      if (busy.length) throw new LabError(`--packages changes the local repository, which running labs use: ${busy.map((l) => l.name).join(', ')}`, 'stop them first (kvplay lab down --all), or give the same --packages');
      setExtraPackages(o.packages);
    }
    switch (cmd) {
      case 'up':
        preflight();
        if (o!.count !== undefined) return (await upMany(o!.names, log)).length ? 1 : 0;
        await withLock(paths.lock(), () => labUp(log, { subnet: o!.subnet }));
        return 0;
      case 'down':
        preflight(['ip', 'umount']);
        if (o!.all || o!.count !== undefined) return (await downMany(log, o!.all ? undefined : o!.names)).length ? 1 : 0;
        await withLock(paths.lock(), () => labDown(log));
        return 0;
      case 'list':
        out(formatList(await listLabs()));
        return 0;
      case 'reset':
        preflight();
        await withLock(paths.lock(), async () => {
          await labDown(log);
          await labUp(log);
        });
        return 0;
      case 'build':
        preflight();
        await withLock(paths.lock(), () => labBuild(log));
        return 0;
      case 'status': {
        const s = labStatus();
        printStatus(s);
        return s.up ? 0 : 3;
      }
      case 'ssh':
        preflight(['ssh']);
        return await sshCmd(rest[0], rest[1] === '--' ? rest.slice(2) : rest.slice(1));
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        out(USAGE);
        out((await import('./vmcli.js')).VM_USAGE);
        return cmd ? 0 : 2;
      default:
        process.stderr.write(`kvplay lab: unknown command ${q(cmd)}\n${USAGE}\n`);
        return 2;
    }
  } catch (e) {
    if (e instanceof LabError) {
      process.stderr.write(`kvplay lab ${cmd}: error: ${e.message}\n${e.hint ? `  hint: ${e.hint}\n` : ''}`);
      return 1;
    }
    throw e;
  }
}

export { labDir };
