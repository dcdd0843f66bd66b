/** Lab life cycle: build, up, down, status. Idempotent; safe to re-run after a crash. */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { trackingCgroups } from './cgroup.js';
import { BRIDGE, DEFAULT_LAB, HOSTS, HostDef, Role, cacheDir, cgroupName, labDir, paths, selectedLab } from './config.js';
import { hostAddress, hostPaths, hostRuntime, mountsUnder, prepareHost, startHost, stopHosts, unmountAll } from './host.js';
import { buildImage, unpackImage } from './image.js';
import { StorageBackends, detectStorage, studentInventoryPath, writeLabFiles } from './inventory.js';
import { ensureBridge, isolationRules, machineRoutes, removeNetwork } from './net.js';
import { assertLinkNamesFree, chooseLabSubnet, parseSubnet, rootfsCurrent, rootfsUsersElsewhere } from './registry.js';
import { buildRepo } from './repo.js';
import { LabError, raiseLimit, readJson, run, runOk, sleep, withLock } from './sys.js';
import { ipJson, type IpLink } from '../util/ipjson.js';

export type Log = (s: string) => void;

interface LabState {
  /** the lab's name (`default` or the --name it was brought up with) */
  name?: string;
  subnet: string;
  bridge: string;
  createdAt: string;
  complete: boolean;
}

export function readState(): LabState | null {
  return readJson<LabState>(paths.state());
}

function writeState(s: LabState): void {
  writeFileSync(paths.state(), JSON.stringify(s, null, 2) + '\n');
}

export interface LabHostInfo {
  name: string;
  role: Role;
  address: string;
  running: boolean;
  supervisorPid?: number;
  nspawnPid?: number;
  leaderPid?: number;
}

export interface LabStatus {
  /** `default` or the lab's --name */
  name: string;
  /** the lab was brought up completely and every host runs (or is rebooting under its supervisor) */
  up: boolean;
  stateDir: string;
  cacheDir: string;
  bridge: string;
  subnet: string | null;
  hosts: LabHostInfo[];
}

export function labStatus(): LabStatus {
  const st = readState();
  const hosts = HOSTS.map((h) => {
    const rt = hostRuntime(h);
    return {
      name: h.name,
      role: h.role,
      address: st ? hostAddress(st, h) : '',
      running: rt.running,
      supervisorPid: rt.supervisorPid,
      nspawnPid: rt.nspawnPid,
      leaderPid: rt.leaderPid,
    };
  });
  return {
    name: selectedLab(),
    // a host between two boots (supervisor alive, nspawn restarting) still counts as up
    up: !!st && st.complete && hosts.every((h) => h.running || !!h.supervisorPid),
    stateDir: labDir(),
    cacheDir: cacheDir(),
    bridge: BRIDGE,
    subnet: st ? `${st.subnet}.0/24` : null,
    hosts,
  };
}

export interface LabInfo {
  addresses: Record<string, string>;
  hosts: LabHostInfo[];
  keyPath: string;
  knownHostsPath: string;
  inventoryPath: string;
  /** same hosts as user `student` with ansible_become_password (mode 0600) */
  studentInventoryPath: string;
  studentPasswordPath: string;
  sshConfigPath: string;
  stateDir: string;
  storage: StorageBackends;
}

export function labInfo(): LabInfo {
  const s = labStatus();
  return {
    addresses: Object.fromEntries(s.hosts.map((h) => [h.name, h.address])),
    hosts: s.hosts,
    keyPath: paths.key(),
    knownHostsPath: paths.knownHosts(),
    inventoryPath: paths.inventory(),
    studentInventoryPath: studentInventoryPath(),
    studentPasswordPath: paths.password(),
    sshConfigPath: paths.sshConfig(),
    stateDir: labDir(),
    storage: detectStorage(),
  };
}

/** ssh argv (without the command) for a lab host: lab key, strict checking against the lab known_hosts. */
export function sshArgs(address: string, extra: string[] = []): string[] {
  return [
    '-F', '/dev/null',
    '-i', paths.key(),
    '-o', 'IdentitiesOnly=yes',
    '-o', `UserKnownHostsFile=${paths.knownHosts()}`,
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'LogLevel=ERROR',
    ...extra,
    `root@${address}`,
  ];
}

function tcpOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** Wait until `ssh root@ADDR true` works with strict host-key checking. */
export async function waitSsh(address: string, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  let last = '';
  while (Date.now() - t0 < timeoutMs) {
    if (await tcpOpen(address, 22)) {
      const r = await run('ssh', [...sshArgs(address, ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=3']), 'true'], {
        timeoutMs: 10_000,
      });
      if (r.code === 0) return;
      last = r.stderr.trim();
    }
    await sleep(150);
  }
  throw new LabError(`host ${address} not reachable over SSH after ${timeoutMs / 1000} s${last ? `: ${last}` : ''}`);
}

const secs = (t0: number) => ((Date.now() - t0) / 1000).toFixed(1) + ' s';

/** Build the image and the local repository if they are not cached (in parallel). */
export async function labBuild(log: Log): Promise<void> {
  mkdirSync(cacheDir(), { recursive: true });
  // several labs (and their `up`s) share the cache
  await withLock(paths.cacheLock(), () => buildCache(log));
}

async function buildCache(log: Log): Promise<void> {
  const t0 = Date.now();
  const [img, repo] = await Promise.all([
    buildImage(log).then((b) => (b && log(`  image built in ${secs(t0)}`), b)),
    buildRepo(log).then((b) => (b && log(`  repository built in ${secs(t0)}`), b)),
  ]);
  if (!img && !repo) log(`image and repository cached in ${cacheDir()}`);
}

export interface UpOptions {
  /** the lab's /24 as three octets (a new lab only); else the first free candidate */
  subnet?: string;
}

export async function labUp(log: Log, opts: UpOptions = {}): Promise<LabInfo> {
  const T = Date.now();
  await labBuild(log);
  let st = readState();
  if (!st) {
    await assertLinkNamesFree();
    const subnet = chooseLabSubnet(await machineRoutes(), opts.subnet);
    mkdirSync(labDir(), { recursive: true, mode: 0o700 });
    st = { name: selectedLab(), subnet, bridge: BRIDGE, createdAt: new Date().toISOString(), complete: false };
    writeState(st);
  } else if (opts.subnet !== undefined && parseSubnet(opts.subnet) !== st.subnet) {
    throw new LabError(`lab ${selectedLab()} already has the subnet ${st.subnet}.0/24`, 'leave out --subnet, or take the lab down first');
  }
  const running = HOSTS.filter((h) => hostRuntime(h).running);
  if (running.length === HOSTS.length && st.complete) {
    await ensureBridge(st.subnet); // re-asserts the isolation rules
    await Promise.all(HOSTS.map((h) => waitSsh(hostAddress(st!, h))));
    log(`lab already up (${secs(T)})`);
    return printInfo(log);
  }
  let t = Date.now();
  const rootfsUsers = running.length ? [] : rootfsUsersElsewhere();
  if (rootfsUsers.length && !rootfsCurrent())
    log(`note: a newer image is cached, but other labs still run on the unpacked one (${rootfsUsers[0]}...): it is kept until they are down`);
  if (!running.length && !rootfsUsers.length && (await withLock(paths.cacheLock(), () => unpackImage()))) {
    log(`image unpacked in ${secs(t)}`);
    // overlays made over another image are meaningless now
    for (const h of HOSTS) {
      await unmountAll(hostPaths(h).root);
      rmSync(hostPaths(h).dir, { recursive: true, force: true });
    }
  }
  await ensureBridge(st.subnet);
  if (!existsSync(paths.key()) || !existsSync(paths.key() + '.pub')) {
    rmSync(paths.key(), { force: true });
    await runOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'kvplay-lab', '-f', paths.key()]);
  }
  if (!existsSync(paths.password())) writeFileSync(paths.password(), randomBytes(12).toString('base64url') + '\n', { mode: 0o600 });
  const password = readFileSync(paths.password(), 'utf8').trim();
  const clientPubKey = readFileSync(paths.key() + '.pub', 'utf8');
  t = Date.now();
  await Promise.all(
    HOSTS.filter((h) => !hostRuntime(h).running).map((h) => prepareHost(h, { subnet: st!.subnet, clientPubKey, studentPassword: password })),
  );
  const storage = detectStorage();
  writeLabFiles(st, storage, password);
  log(`hosts prepared in ${secs(t)}`);
  t = Date.now();
  raiseInotifyLimit(log);
  for (const h of HOSTS) await startHost(h);
  await Promise.all(
    HOSTS.map(async (h) => {
      await waitSsh(hostAddress(st!, h)).catch((e) => {
        const tail = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').slice(-8).join('\n') : '');
        const p = hostPaths(h);
        throw new LabError(
          `${h.name}: ${e.message}\n--- ${p.log}\n${tail(p.log)}\n--- ${p.console}\n${tail(p.console)}`,
          `see ${p.console} and ${p.log}`,
        );
      });
      log(`  ${h.name} reachable (${secs(t)})`);
    }),
  );
  st.complete = true;
  writeState(st);
  log(storage.note);
  log(`lab up in ${secs(T)} (boot to SSH: ${secs(t)})`);
  return printInfo(log);
}

/**
 * Each host's systemd holds ~9 inotify instances, all under root's count (fs.inotify.max_user_instances,
 * 128 by default): without raising it, the fifth lab's containers die at boot ("Failed to allocate
 * manager object: Too many open files").
 */
const INOTIFY_INSTANCES = '/proc/sys/fs/inotify/max_user_instances';
function raiseInotifyLimit(log: Log): void {
  try {
    const old = raiseLimit(INOTIFY_INSTANCES, 8192);
    if (old !== null) log(`raised fs.inotify.max_user_instances from ${old} to 8192 (every lab host's systemd needs some)`);
  } catch (e) {
    if (!(e instanceof LabError)) throw e;
    log(`warning: ${e.message}; with several labs up, hosts may fail to boot (hint: ${e.hint})`);
  }
}

function printInfo(log: Log): LabInfo {
  const info = labInfo();
  for (const h of info.hosts) log(`  ${h.name.padEnd(5)} ${h.address.padEnd(15)} ${h.role}`);
  log(`inventory:   ${info.inventoryPath}`);
  log(`known_hosts: ${info.knownHostsPath}`);
  const name = selectedLab() === DEFAULT_LAB ? '' : `--name ${selectedLab()} `;
  log(`ssh:         ssh -F ${info.sshConfigPath} kvm1   (or: kvplay lab ssh ${name}kvm1)`);
  if (name) log(`playbooks:   kvplay --lab ${selectedLab()} PLAYBOOK   (or: KVPLAY_LAB=${selectedLab()} kvplay PLAYBOOK)`);
  return info;
}

/** Stop everything the lab started and remove links, mounts and state; keep the cache. */
export async function labDown(log: Log): Promise<void> {
  const T = Date.now();
  const dir = resolve(labDir());
  if (dir.split('/').filter(Boolean).length < 2 || dir === resolve(cacheDir()) || resolve(cacheDir()).startsWith(dir + '/'))
    throw new LabError(`refusing to remove the lab state dir ${dir} (KVPLAY_LAB_DIR): too short a path or holds the cache`);
  await stopHosts(HOSTS);
  log(`hosts stopped in ${secs(T)}`);
  await unmountAll(labDir());
  await removeNetwork();
  const left = mountsUnder(labDir());
  if (left.length) throw new LabError(`still mounted, not removing ${labDir()}: ${left.join(', ')}`);
  rmSync(labDir(), { recursive: true, force: true });
  log(`lab down in ${secs(T)} (cache kept in ${cacheDir()})`);
}

/** Is anything of a lab left on this machine (state, links, mounts)? */
export async function labRemnants(): Promise<string[]> {
  const out: string[] = [];
  if (existsSync(labDir())) out.push(`state dir ${labDir()}`);
  for (const m of mountsUnder(labDir())) out.push(`mount ${m}`);
  const links = ipJson<IpLink>(await runOk('ip', ['-j', 'link']));
  const names = new Set([BRIDGE, ...HOSTS.map((h: HostDef) => h.veth)]);
  for (const l of links) if (l.ifname !== undefined && names.has(l.ifname)) out.push(`link ${l.ifname}`);
  for (const d of trackingCgroups())
    for (const h of HOSTS) if (existsSync(`${d}/${cgroupName(h)}`)) out.push(`cgroup ${d}/${cgroupName(h)}`);
  for (const f of ['-4', '-6'] as const) if (await isolationRules(f)) out.push(`ip ${f} rule iif ${BRIDGE} unreachable`);
  return out;
}
