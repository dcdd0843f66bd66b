/**
 * The labs on this machine: the default lab (defaultLabDir()) and the named ones (labsRoot()/NAME),
 * the VM lab's network too; which subnets and link names they hold. Read from their state files,
 * so a lab that is half up (or half down) still counts.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  DEFAULT_LAB,
  SUBNET_CANDIDATES,
  defaultLabDir,
  labLinkNames,
  labNameProblem,
  labsRoot,
  labDir,
  labStem,
  paths,
  selectedLab,
} from './config.js';
import { chooseSubnet, linkExists, overlaps } from './net.js';
import { LabError } from './sys.js';
import { vmPaths } from './vmconfig.js';

/** Lab names with a state directory on this machine, the default lab first. */
export function knownLabs(): string[] {
  const out: string[] = [];
  if (existsSync(defaultLabDir())) out.push(DEFAULT_LAB);
  let names: string[] = [];
  try {
    names = readdirSync(labsRoot());
  } catch {}
  for (const n of names.sort(byNumberAware)) {
    if (labNameProblem(n) || n === DEFAULT_LAB) continue;
    try {
      if (statSync(join(labsRoot(), n)).isDirectory()) out.push(n);
    } catch {}
  }
  return out;
}

/** student2 before student10. */
function byNumberAware(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

const stateDirOf = (name: string) => (name === DEFAULT_LAB ? defaultLabDir() : join(labsRoot(), name));

function subnetIn(stateFile: string): string | undefined {
  try {
    const s = JSON.parse(readFileSync(stateFile, 'utf8')) as { subnet?: unknown };
    return typeof s.subnet === 'string' ? s.subnet : undefined;
  } catch {
    return undefined;
  }
}

/** Subnets (three octets) held by the other labs' state, with who holds them. */
export function otherLabsSubnets(self = selectedLab()): { subnet: string; owner: string; bridge: string }[] {
  const out: { subnet: string; owner: string; bridge: string }[] = [];
  for (const n of knownLabs()) {
    if (n === self) continue;
    const s = subnetIn(join(stateDirOf(n), 'state.json'));
    if (s) out.push({ subnet: s, owner: `lab ${n}`, bridge: labLinkNames(n).bridge });
  }
  const vm = subnetIn(vmPaths.state());
  if (vm) out.push({ subnet: vm, owner: 'the VM lab', bridge: 'kvpvm0' });
  return out;
}

/** Subnets tried for a named lab (three octets): 10.239.1-254, then 172.30.1-254. */
export const NAMED_SUBNET_CANDIDATES = [
  ...Array.from({ length: 254 }, (_, i) => `10.239.${i + 1}`),
  ...Array.from({ length: 254 }, (_, i) => `172.30.${i + 1}`),
];

const SUBNET_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\.0(?:\/24)?)?$/;

/** "10.99.7", "10.99.7.0" or "10.99.7.0/24" -> "10.99.7"; a LabError for anything else. */
export function parseSubnet(s: string): string {
  const m = SUBNET_RE.exec(s.trim());
  if (!m || m.slice(1, 4).some((o) => Number(o) > 255))
    throw new LabError(`invalid subnet ${JSON.stringify(s)}: give the /24 as three octets`, 'e.g. --subnet 10.99.7');
  return m.slice(1, 4).map(Number).join('.');
}

/**
 * A /24 for the selected lab: `requested` if given and free, else the first free candidate. Free
 * means: no route of the machine (other than on this lab's own bridge) and no other lab's state
 * touches it. The default lab keeps its candidates and KVPLAY_LAB_SUBNET.
 */
export function chooseLabSubnet(routes: { dst: string; dev?: string }[], requested?: string): string {
  const self = selectedLab();
  const own = labLinkNames(self).bridge;
  const others = otherLabsSubnets(self);
  if (requested !== undefined) {
    const want = parseSubnet(requested);
    const lab = others.find((o) => o.subnet === want);
    if (lab) throw new LabError(`subnet ${want}.0/24 is taken by ${lab.owner} (bridge ${lab.bridge})`, 'choose another --subnet, or leave it out to get a free one');
    const r = routes.find((x) => x.dev !== own && overlaps(want, x.dst));
    if (r) throw new LabError(`subnet ${want}.0/24 collides with the route ${r.dst}${r.dev ? ` on ${r.dev}` : ''}`, 'choose another --subnet, or leave it out to get a free one');
    return want;
  }
  const taken = others.map((o) => ({ dst: `${o.subnet}.0/24`, dev: o.bridge }));
  const all = [...routes, ...taken];
  return self === DEFAULT_LAB ? chooseSubnet(all, SUBNET_CANDIDATES, own) : chooseSubnet(all, NAMED_SUBNET_CANDIDATES, own, '');
}

/**
 * Before a named lab's first `up`: its link names must be its own. Another lab whose name hashes to
 * the same stem, or a link of that name left by someone else, is refused (not adopted).
 */
export async function assertLinkNamesFree(): Promise<void> {
  const self = selectedLab();
  if (self === DEFAULT_LAB) return;
  const stem = labStem(self);
  const twin = knownLabs().find((n) => n !== self && n !== DEFAULT_LAB && labStem(n) === stem);
  if (twin) throw new LabError(`lab names ${self} and ${twin} share the link-name stem ${stem}`, 'choose another name for this lab');
  const n = labLinkNames(self);
  for (const l of [n.bridge, ...n.veths])
    if (await linkExists(l)) throw new LabError(`a network link ${l} exists already, though lab ${self} is new`, `remove it (ip link del ${l}) or choose another lab name`);
}

/**
 * Overlay mounts of other labs over the unpacked image (their mount points): while there are any,
 * the image must not be unpacked again (it is their lower layer).
 */
export function rootfsUsersElsewhere(): string[] {
  const lower = paths.rootfs();
  const own = resolve(labDir()) + '/';
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const [fstype, , superOpts = ''] = line.slice(sep + 3).split(' ');
    const mp = line.split(' ')[4] ?? '';
    if (fstype !== 'overlay' || mp.startsWith(own)) continue;
    if (superOpts.split(',').some((o) => o === `lowerdir=${lower}` || o.startsWith(`lowerdir=${lower}:`))) out.push(mp);
  }
  return out;
}

/** The unpacked image is the cached one. */
export function rootfsCurrent(): boolean {
  const key = (f: string) => {
    try {
      return readFileSync(f, 'utf8').trim();
    } catch {
      return '';
    }
  };
  return !!key(paths.imageKey()) && key(paths.imageKey()) === key(paths.rootfsKey());
}
