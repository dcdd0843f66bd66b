/**
 * Migration preflight (pure parts): the probe script run on the source and (over the root SSH
 * trust) on the target, its parser, and the checks comparing guest, source and target.
 * Every failing check is one clear line: what is wrong, where, and what to do.
 */
import { q } from '../../util/quote.js';
import type { DomainInfo } from './domxml.js';
import { XmlDoc } from './xml.js';
import { parseDomstate, virshError, type DomState } from '../../facts/virsh.js';
import { parseSections, sectionScript, type Section } from '../../facts/sections.js';

export interface MountInfo { target: string; source: string; fstype: string }
export interface PathInfo { exists: boolean; dirExists: boolean; mount?: MountInfo; nonce?: boolean }
export interface PoolInfo { name: string; state: string; path: string }

export interface HostProbe {
  host: string;
  arch?: string;
  vendor?: string;
  cpuModel?: string;
  hostUuid?: string;
  nx?: number;
  memAvailKiB?: number;
  libvirtError?: string;
  domain?: DomState | null;
  bridges: Record<string, boolean>;
  networks: Record<string, boolean>;
  paths: Record<string, PathInfo>;
  pools: PoolInfo[];
  cpuCompare?: { rc: number; out: string };
}

export interface ProbeInput {
  name: string;
  bridges: string[];
  networks: string[];
  /** files the target needs: disks, kernel/initrd, and log files' directories */
  paths: string[];
  /** source: create this nonce file next to each shared path; target: look for it */
  nonce?: { file: string; create: boolean };
  cpuXml?: string;
  /** the guest's domain type (kvm, qemu): its CPU is compared with what THAT hypervisor offers */
  virtType?: string;
}

const dirOf = (p: string) => p.replace(/\/[^/]*$/, '') || '/';

/** The sh script probing one host (sections: src/facts/sections.ts). */
export function probeScript(i: ProbeInput): string {
  // the bridges, networks and paths sections print one tab-separated record per line, keyed by
  // the name: a name holding a newline or tab (a disk path in the guest's XML may) could forge one
  for (const v of [...i.bridges, ...i.networks, ...i.paths]) {
    if (/[\n\t]/.test(v)) throw new Error(`cannot check ${JSON.stringify(v)}: its name holds a newline or tab`);
  }
  // pools: names come from word splitting (never hold whitespace); a path is one sed output line
  const sections: [string, string][] = [
    ['arch', 'uname -m'],
    ['nx', 'grep -c -w nx /proc/cpuinfo'],
    ['mem', "awk '/^MemAvailable:/ {print $2}' /proc/meminfo"],
    ['caps', 'virsh capabilities'],
    ['domain', `virsh domstate ${q(i.name)}`],
    ['pools', `for p in $(virsh pool-list --all --name); do printf '%s\\t%s\\t%s\\n' "$p" "$(virsh pool-info "$p" | sed -n 's/^State: *//p')" "$(virsh pool-dumpxml "$p" | sed -n 's:.*<path>\\(.*\\)</path>.*:\\1:p' | head -n 1)"; done`],
    ['bridges', i.bridges.map((b) => `if [ -d /sys/class/net/${q(b)}/bridge ]; then printf '%s\\tyes\\n' ${q(b)}; else printf '%s\\tno\\n' ${q(b)}; fi`).join('\n') || 'true'],
    ['networks', i.networks.map((n) => `printf '%s\\t%s\\n' ${q(n)} "$(virsh net-info ${q(n)} 2>/dev/null | sed -n 's/^Active: *//p')"`).join('\n') || 'true'],
  ];
  const paths = i.paths.map((p) => {
    const d = dirOf(p);
    const nonce = i.nonce ? `${d}/${i.nonce.file}` : '';
    const nonceCmd = !i.nonce ? 'n=-' : i.nonce.create ? `n=no; [ -d ${q(d)} ] && : > ${q(nonce)} 2>/dev/null && n=made` : `n=no; [ -e ${q(nonce)} ] && n=yes`;
    return [
      `e=no; [ -e ${q(p)} ] && e=yes; de=no; [ -d ${q(d)} ] && de=yes; ${nonceCmd}`,
      `m=$(findmnt -n -P -o TARGET,SOURCE,FSTYPE -T ${q(d)} 2>/dev/null | head -n 1)`,
      `printf '%s\\t%s\\t%s\\t%s\\t%s\\n' ${q(p)} "$e" "$de" "$n" "$m"`,
    ].join('\n');
  });
  sections.push(['paths', paths.join('\n') || 'true']);
  if (i.cpuXml) {
    sections.push(['cpucmp', `t=$(mktemp) || exit 1\ncat > "$t" <<'KVPLAY_CPU_XML'\n${i.cpuXml}\nKVPLAY_CPU_XML\nvirsh hypervisor-cpu-compare "$t" --virttype ${q(/^[a-z0-9]+$/.test(i.virtType ?? '') ? i.virtType! : 'qemu')}; rc=$?; rm -f "$t"; exit $rc`]);
  }
  return sectionScript(sections);
}

/** Remove the nonce files the source probe created. */
export function nonceCleanup(paths: string[], file: string): string {
  return [...new Set(paths.map((p) => `${dirOf(p)}/${file}`))].map((f) => `rm -f ${q(f)}`).join('\n') + '\nexit 0';
}

function parseMount(s: string): MountInfo | undefined {
  const get = (k: string) => new RegExp(`${k}="([^"]*)"`).exec(s)?.[1];
  const target = get('TARGET');
  return target ? { target, source: get('SOURCE') ?? '', fstype: get('FSTYPE') ?? '' } : undefined;
}

export function parseProbe(host: string, stdout: string): HostProbe {
  const s = parseSections(stdout);
  const sec = (n: string): Section => s[n] ?? { out: '', rc: -1 };
  const p: HostProbe = { host, bridges: {}, networks: {}, paths: {}, pools: [] };
  if (sec('arch').rc === 0) p.arch = sec('arch').out.trim();
  if (sec('nx').rc >= 0 && /^\d+$/.test(sec('nx').out.trim())) p.nx = Number(sec('nx').out.trim());
  if (/^\d+$/.test(sec('mem').out.trim())) p.memAvailKiB = Number(sec('mem').out.trim());
  const caps = sec('caps');
  if (caps.rc !== 0) p.libvirtError = virshError(caps.out) || `virsh capabilities failed (rc=${caps.rc})`;
  else {
    try {
      const h = XmlDoc.parse(caps.out, `capabilities of ${host}`).root.child('host');
      p.hostUuid = h?.child('uuid')?.text();
      const cpu = h?.child('cpu');
      p.arch = cpu?.child('arch')?.text() || p.arch;
      p.vendor = cpu?.child('vendor')?.text();
      p.cpuModel = cpu?.child('model')?.text();
    } catch (e) {
      p.libvirtError = (e as Error).message;
    }
    try {
      p.domain = parseDomstate(sec('domain'), 'domain');
    } catch (e) {
      p.libvirtError = (e as Error).message;
    }
  }
  for (const line of sec('pools').out.split('\n')) {
    const [name, state, path] = line.split('\t');
    if (name && state !== undefined) p.pools.push({ name, state: state.trim(), path: (path ?? '').trim() });
  }
  for (const line of sec('bridges').out.split('\n')) {
    const [b, v] = line.split('\t');
    if (b && v) p.bridges[b] = v.trim() === 'yes';
  }
  for (const line of sec('networks').out.split('\n')) {
    const [n, v] = line.split('\t');
    if (n) p.networks[n] = (v ?? '').trim() === 'yes';
  }
  for (const line of sec('paths').out.split('\n')) {
    const f = line.split('\t');
    if (f.length < 4 || !f[0]) continue;
    p.paths[f[0]] = { exists: f[1] === 'yes', dirExists: f[2] === 'yes', ...(f[3] === 'yes' || f[3] === 'made' ? { nonce: true } : f[3] === 'no' ? { nonce: false } : {}), ...(parseMount(f[4] ?? '') ? { mount: parseMount(f[4] ?? '') } : {}) };
  }
  if (s.cpucmp) p.cpuCompare = { rc: s.cpucmp.rc, out: s.cpucmp.out.trim() };
  return p;
}

/** File systems libvirt itself recognizes as shared (no --unsafe needed with cache none). */
export const LIBVIRT_SHARED_FS = new Set(['nfs', 'nfs4', 'gfs2', 'ocfs2', 'afs', 'smb3', 'cifs', 'ceph', 'fuse.glusterfs', 'fuse.quobyte', 'gpfs', 'beegfs']);

export interface PreflightOpts {
  /** live (default) or cold: a cold move boots the guest afresh, CPU details do not matter */
  mode?: 'live' | 'cold';
  /** non-shared disks may be copied (live: --copy-storage-all; cold: copied by kvplay) */
  copyStorage: boolean;
  unsafe: boolean;
}

export interface Preflight {
  errors: string[];
  notes: string[];
  /** disks on storage both hosts share */
  shared: string[];
  /** disks that are not shared and must be copied */
  toCopy: string[];
}

/** The guest's paths the target needs (disks, boot files, log files). */
export function guestPaths(g: DomainInfo): string[] {
  return [...new Set([...g.disks.filter((d) => d.type === 'file' && d.path).map((d) => d.path!), ...g.bootFiles, ...g.logFiles])];
}

/** Compare guest, source and target. */
export function checkPreflight(g: DomainInfo, src: HostProbe, dst: HostProbe, o: PreflightOpts): Preflight {
  const errors: string[] = [];
  const notes: string[] = [];
  const shared: string[] = [];
  const toCopy: string[] = [];
  const live = o.mode !== 'cold';
  const S = src.host;
  const T = dst.host;
  if (dst.libvirtError) return { errors: [`libvirt on ${T} does not answer: ${dst.libvirtError} (is libvirtd running there?)`], notes, shared, toCopy };
  if (dst.domain !== null && dst.domain !== undefined) {
    errors.push(`a domain named ${g.name} already exists on ${T} (${dst.domain}): undefine it there (virsh undefine ${g.name}) or rename one of them`);
  }
  if (src.hostUuid && src.hostUuid === dst.hostUuid) errors.push(`${S} and ${T} have the same libvirt host UUID ${src.hostUuid}: set a different host_uuid in libvirtd.conf (libvirt_host_uuid)`);
  if (src.arch && dst.arch && src.arch !== dst.arch) errors.push(`architectures differ: ${S} is ${src.arch}, ${T} is ${dst.arch}`);
  if (g.arch && dst.arch && /64/.test(g.arch) && !/64/.test(dst.arch)) errors.push(`the guest is ${g.arch} (64-bit) but ${T} is ${dst.arch}: 64-bit guests move only between 64-bit hosts`);
  if (live && src.vendor && dst.vendor && src.vendor !== dst.vendor) errors.push(`CPU vendors differ: ${S} ${src.vendor}, ${T} ${dst.vendor}: live migration needs the same vendor (use cold migration)`);
  if (live && src.nx !== undefined && dst.nx !== undefined && (src.nx > 0) !== (dst.nx > 0)) {
    errors.push(`the NX (No eXecute) flag differs: ${src.nx > 0 ? 'present' : 'absent'} on ${S}, ${dst.nx > 0 ? 'present' : 'absent'} on ${T} (grep -c -w nx /proc/cpuinfo): enable it in both BIOSes or neither`);
  }
  if (live && dst.cpuCompare) {
    const t = dst.cpuCompare.out;
    if (dst.cpuCompare.rc !== 0 || /incompatible/i.test(t)) errors.push(`${T} cannot run the guest's CPU (virsh hypervisor-cpu-compare: ${virshError(t) || t}): use a CPU model both hosts support (e.g. host-model on the older host)`);
  } else if (live && !g.cpuXml) {
    notes.push('the guest has no <cpu> element: CPU compatibility not compared');
  }
  const mib = (k: number) => Math.round(k / 1024);
  if (dst.memAvailKiB !== undefined && g.memoryKiB > dst.memAvailKiB) errors.push(`${T} has ${mib(dst.memAvailKiB)} MiB available, the guest needs ${mib(g.memoryKiB)} MiB`);
  for (const i of g.interfaces) {
    if (i.type === 'bridge' && i.bridge && !dst.bridges[i.bridge]) errors.push(`${T} has no bridge ${i.bridge} (the guest's interface ${i.index} is on it): create it first (roles/bridge)`);
    if (i.type === 'network' && i.network && !dst.networks[i.network]) errors.push(`libvirt network ${i.network} is not active on ${T} (the guest's interface ${i.index} uses it)`);
  }
  for (const d of g.disks) {
    if (!d.path || d.type !== 'file') continue;
    const pool = src.pools.filter((p) => p.path && (d.path!.startsWith(p.path.replace(/\/+$/, '') + '/'))).sort((a, b) => b.path.length - a.path.length)[0];
    if (pool) {
      const tp = dst.pools.find((p) => p.name === pool.name);
      if (!tp) errors.push(`${T} has no storage pool ${pool.name} (${S} keeps the guest's disk ${d.path} in it, at ${pool.path})`);
      else if (tp.path !== pool.path) errors.push(`storage pool ${pool.name} is at ${tp.path} on ${T} but at ${pool.path} on ${S}: use the same path on both`);
      else if (tp.state !== 'running') errors.push(`storage pool ${pool.name} is not active on ${T} (${tp.state || 'unknown'}): virsh pool-start ${pool.name}`);
    } else {
      notes.push(`disk ${d.path} is in no storage pool on ${S}`);
    }
    const sp = src.paths[d.path];
    const tp = dst.paths[d.path];
    const sm = sp?.mount;
    const tm = tp?.mount;
    const isShared = !!(tp?.exists && tp.nonce && sm && tm && sm.target === tm.target && sm.source === tm.source);
    if (isShared) {
      shared.push(d.path);
      if (live && !o.unsafe && !o.copyStorage && !(LIBVIRT_SHARED_FS.has(sm!.fstype) && (d.cache === 'none' || d.cache === 'directsync'))) {
        errors.push(
          LIBVIRT_SHARED_FS.has(sm!.fstype)
            ? `disk ${d.path} is on ${sm!.fstype} with cache ${d.cache ?? 'default'}: libvirt calls that unsafe; set the disk cache to none (domain_xml disk_cache: none)`
            : `disk ${d.path} is on ${sm!.fstype} (${sm!.source}), shared with ${T}, but libvirt cannot see that it is shared and refuses ("Migration without shared storage is unsafe"): set unsafe: true (only because the storage IS shared, as checked here)`,
        );
      }
      continue;
    }
    if (o.copyStorage) {
      if (!tp?.dirExists) errors.push(`${T} has no directory ${dirOf(d.path)} for the copy of ${d.path}: create the pool path there`);
      else if (!live && tp.exists) errors.push(`${T} already has a different file at ${d.path}: move it away first (kvplay does not overwrite disks)`);
      toCopy.push(d.path);
      continue;
    }
    if (!tp?.exists) {
      const where = !tp?.dirExists ? `${T} has no ${dirOf(d.path)} at all` : `${T} does not see ${d.path}`;
      errors.push(`${where}: the guest's disk must be on shared storage mounted at the same path on both hosts (or use copy_storage${live ? ', or cold migration' : ''})`);
    } else {
      const why = !sm || !tm ? 'mount points unknown' : sm.target !== tm.target || sm.source !== tm.source ? `${S}: ${sm.source} on ${sm.target}, ${T}: ${tm.source} on ${tm.target}` : 'a file created on the source was not seen on the target';
      errors.push(`${d.path} exists on ${T} but is not the same shared file (${why}): mount the same share at the same path on both hosts, or use copy_storage: all`);
    }
  }
  for (const f of g.bootFiles) if (!dst.paths[f]?.exists) errors.push(`${T} has no ${f} (the guest boots from it): put it on the shared storage or copy it to the same path`);
  for (const f of g.logFiles) if (!dst.paths[f]?.dirExists) errors.push(`${T} has no directory ${dirOf(f)} for the guest's log file ${f}`);
  return { errors, notes, shared, toCopy };
}
