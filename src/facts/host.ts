/**
 * Host facts (ansible_facts.*) in ONE round trip: a POSIX sh script of sections (src/facts/sections.ts);
 * parseFacts is a pure parser tested from recorded output
 * (test/fixtures/facts/*.txt).
 */
import type { Become, Transport } from '../transport/types.js';
import { completeSections, PROBES, sectionScript, sectionTexts } from './sections.js';
import { networkFacts, parseDefaultRoute, parseIpAddrJson, parseIpAddrText, type Iface } from './network.js';

/**
 * Few processes (each costs a fork and an exec, ~3-10 ms on a busy host): the sections run in the
 * script's own shell (sections.ts mode 'shared': no subshell per section), files are read with the
 * shell's own `read` (rf), the kernel's uname fields from /proc/sys/kernel, `id` once; external
 * commands only where there is no file to read (hostname -f, uname -m, awk over cpuinfo, nproc,
 * ip, pidof). Sections and their text are those of the commands they replace.
 */
const D = '$'; // a shell parameter expansion inside the templates below: ${D}{x#uid=} is ${'$'}{x#uid=}
const RF = String.raw`rf() { [ -r "$1" ] || return 1; while IFS= read -r l || [ -n "$l" ]; do printf '%s\n' "$l"; done <"$1"; }`;
const FACT_CMDS: [string, string][] = [
  ['hostname', 'rf /proc/sys/kernel/hostname 2>/dev/null || hostname 2>/dev/null || uname -n'],
  ['fqdn', 'hostname -f 2>/dev/null || hostname 2>/dev/null'],
  ['uname', '{ rf /proc/sys/kernel/ostype && rf /proc/sys/kernel/osrelease && rf /proc/sys/kernel/version; } 2>/dev/null || { uname -s; uname -r; uname -v; }; uname -m'],
  ['os-release', 'rf /etc/os-release 2>/dev/null || rf /usr/lib/os-release 2>/dev/null'],
  ['debian_version', 'rf /etc/debian_version 2>/dev/null'],
  ['redhat-release', 'rf /etc/redhat-release 2>/dev/null'],
  ['pid1', 'rf /proc/1/comm 2>/dev/null'],
  ['systemd', '[ -d /run/systemd/system ] && echo yes'],
  ['openrc', '[ -x /sbin/openrc ] && echo yes'],
  ['pkgmgrs', 'for c in apt-get dnf yum zypper apk pacman; do command -v $c >/dev/null 2>&1 && echo $c; done; :'],
  ['cpuinfo', String.raw`awk -F': *' '/^(processor|vendor_id|model name|physical id|core id|cpu cores|siblings|CPU implementer|Hardware)[ \t]*:/ {print} /^(flags|Features)[ \t]*:/ && !f {print; f=1}' /proc/cpuinfo 2>/dev/null`],
  ['nproc', 'nproc 2>/dev/null'],
  ['meminfo', String.raw`[ -r /proc/meminfo ] && while IFS= read -r l; do case $l in MemTotal:*|MemFree:*|MemAvailable:*|Buffers:*|Cached:*|SwapTotal:*|SwapFree:*) printf '%s\n' "$l";; esac; done </proc/meminfo`],
  // JSON where ip has it (rc 0 here), else the text form in ip-addr (the shared shell keeps $j)
  ['ip-addr-json', `j=$(ip -j -d addr show 2>/dev/null) && [ -n "$j" ] && printf '%s\\n' "$j"`],
  ['ip-addr', '[ -n "$j" ] || ip addr show 2>/dev/null'],
  ['ip-route', `if j=$(ip -j route show default 2>/dev/null) && [ -n "$j" ]; then printf '%s\\n' "$j"; else ip route show default 2>/dev/null; fi`],
  ['ip6-route', `if j=$(ip -j -6 route show default 2>/dev/null) && [ -n "$j" ]; then printf '%s\\n' "$j"; else ip -6 route show default 2>/dev/null; fi`],
  ['id', String.raw`x=$(id 2>/dev/null); case $x in
  "uid="[0-9]*"("*") gid="[0-9]*"("*")"*) u=${D}{x#uid=}; un=${D}{u#*\(}; un=${D}{un%%\)*}; u=${D}{u%%\(*}; g=${D}{x#* gid=}; gn=${D}{g#*\(}; gn=${D}{gn%%\)*}; g=${D}{g%%\(*}; printf '%s\n' "$un" "$u" "$g" "$gn";;
  *) id -un; id -u; id -g; id -gn;;
esac`],
  ['nm', 'if command -v pidof >/dev/null 2>&1; then pidof NetworkManager 2>/dev/null; else pgrep -x NetworkManager 2>/dev/null; fi'],
  ['selinux', 'command -v getenforce >/dev/null 2>&1 && getenforce 2>/dev/null'],
];
export const FACTS_SCRIPT = sectionScript(FACT_CMDS, { ...PROBES, prelude: RF });

/** The text of each section (what a failed test like `[ -d ... ] && echo yes` printed: nothing). */
export const sections = sectionTexts;

export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2];
    if (/^".*"$/.test(v)) v = v.slice(1, -1).replace(/\\(["$`\\])/g, '$1');
    else if (/^'.*'$/.test(v)) v = v.slice(1, -1);
    out[m[1]] = v;
  }
  return out;
}

const DISTRO_NAMES: Record<string, string> = {
  debian: 'Debian', ubuntu: 'Ubuntu', linuxmint: 'Linux Mint', raspbian: 'Debian', kali: 'Kali',
  rhel: 'RedHat', centos: 'CentOS', rocky: 'Rocky', almalinux: 'AlmaLinux', fedora: 'Fedora', ol: 'OracleLinux',
  amzn: 'Amazon', sles: 'SLES', 'opensuse-leap': 'openSUSE Leap', 'opensuse-tumbleweed': 'openSUSE Tumbleweed',
  alpine: 'Alpine', arch: 'Archlinux', gentoo: 'Gentoo',
};
const FAMILIES: Record<string, string> = {
  debian: 'Debian', ubuntu: 'Debian', linuxmint: 'Debian', raspbian: 'Debian', kali: 'Debian',
  rhel: 'RedHat', centos: 'RedHat', rocky: 'RedHat', almalinux: 'RedHat', fedora: 'RedHat', ol: 'RedHat', amzn: 'RedHat',
  sles: 'Suse', 'opensuse-leap': 'Suse', 'opensuse-tumbleweed': 'Suse', suse: 'Suse', opensuse: 'Suse',
  alpine: 'Alpine', arch: 'Archlinux', gentoo: 'Gentoo',
};

function distroFacts(sec: Record<string, string>): Record<string, unknown> {
  const os = parseOsRelease(sec['os-release'] ?? '');
  const id = (os.ID ?? '').toLowerCase();
  const like = (os.ID_LIKE ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  const family = FAMILIES[id] ?? like.map((l) => FAMILIES[l]).find(Boolean) ?? (os.NAME || 'Linux');
  let version = os.VERSION_ID ?? '';
  let release = os.VERSION_CODENAME ?? '';
  const deb = (sec.debian_version ?? '').trim();
  if (id === 'debian' && /^\d+(\.\d+)*$/.test(deb)) version = deb;
  const rh = /release\s+([\d.]+)\s*\(([^)]*)\)/.exec(sec['redhat-release'] ?? '');
  if (family === 'RedHat' && rh) {
    version = rh[1];
    if (!release) release = rh[2];
  }
  if (!release) release = /\(([^)]*)\)/.exec(os.VERSION ?? '')?.[1] ?? '';
  return {
    distribution: DISTRO_NAMES[id] ?? os.NAME ?? 'Linux',
    distribution_version: version,
    distribution_major_version: version.split('.')[0] ?? '',
    distribution_release: release,
    os_family: family,
  };
}

function pkgMgr(family: unknown, found: string[]): string {
  const has = (c: string) => found.includes(c);
  if (family === 'RedHat') return has('dnf') ? 'dnf' : has('yum') ? 'yum' : 'unknown';
  if (family === 'Debian' && has('apt-get')) return 'apt';
  if (family === 'Suse' && has('zypper')) return 'zypper';
  if (family === 'Alpine' && has('apk')) return 'apk';
  if (family === 'Archlinux' && has('pacman')) return 'pacman';
  const first = found[0];
  return first === 'apt-get' ? 'apt' : first ?? 'unknown';
}

function serviceMgr(sec: Record<string, string>): string {
  const comm = (sec.pid1 ?? '').trim();
  if (comm === 'systemd' || sec.systemd?.trim() === 'yes') return 'systemd';
  if (sec.openrc?.trim() === 'yes') return 'openrc';
  if (comm === 'init') return 'sysvinit';
  if (/^runit/.test(comm)) return 'runit';
  if (/^s6-svscan/.test(comm)) return 's6';
  return comm ? 'service' : 'unknown';
}

function cpuFacts(text: string, nproc: string): Record<string, unknown> {
  const procs: Record<string, string>[] = [];
  let flags = '';
  let cur: Record<string, string> | undefined;
  for (const line of text.split('\n')) {
    const m = /^([^:]+?)\s*:\s*(.*)$/.exec(line);
    if (!m) continue;
    const [, k, v] = m;
    if (k === 'processor') { cur = { processor: v }; procs.push(cur); }
    else if (k === 'flags' || k === 'Features') flags = v;
    else if (cur) cur[k] = v;
  }
  const vendor = procs[0]?.vendor_id ?? (procs[0]?.['CPU implementer'] ? `ARM (implementer ${procs[0]['CPU implementer']})` : '');
  const model = procs[0]?.['model name'] ?? '';
  const sockets = new Set(procs.map((p) => p['physical id']).filter((x) => x !== undefined));
  const count = sockets.size || 1;
  const vcpus = procs.length || Number(nproc) || 1;
  const cores = Number(procs[0]?.['cpu cores'] ?? 0) || Math.max(1, Math.floor(vcpus / count));
  const siblings = Number(procs[0]?.siblings ?? 0);
  const processor: string[] = [];
  for (const p of procs) processor.push(p.processor, p.vendor_id ?? vendor, p['model name'] ?? model);
  const flagList = flags.split(/\s+/).filter(Boolean);
  return {
    processor,
    processor_vendor: vendor,
    processor_model: model,
    processor_count: count,
    processor_cores: cores,
    processor_threads_per_core: siblings && cores ? Math.max(1, siblings / cores) : 1,
    processor_vcpus: vcpus,
    processor_nproc: Number(nproc) || vcpus,
    cpu_flags: flagList,
    cpu_flags_nx: flagList.includes('nx'),
  };
}

function memFacts(text: string): Record<string, unknown> {
  const kb: Record<string, number> = {};
  for (const m of text.matchAll(/^(\w+):\s+(\d+)/gm)) kb[m[1]] = Number(m[2]);
  const mb = (k: string) => (kb[k] !== undefined ? Math.floor(kb[k] / 1024) : undefined);
  return {
    memtotal_mb: mb('MemTotal'),
    memfree_mb: mb('MemFree'),
    memavailable_mb: mb('MemAvailable'),
    swaptotal_mb: mb('SwapTotal'),
    swapfree_mb: mb('SwapFree'),
  };
}

/** Pure: facts from the output of FACTS_SCRIPT. */
export function parseFacts(output: string): Record<string, unknown> {
  const sec = sections(output);
  const [system = 'Linux', kernel = '', kernelVersion = '', machine = ''] = (sec.uname ?? '').split('\n');
  const hostname = (sec.hostname ?? '').trim().split('.')[0];
  const fqdn = (sec.fqdn ?? '').trim() || hostname;
  const distro = distroFacts(sec);
  const ifs: Record<string, Iface> = (sec['ip-addr-json'] ? parseIpAddrJson(sec['ip-addr-json']) : parseIpAddrText(sec['ip-addr'] ?? ''));
  const [userName = '', uid = '', gid = '', groupName = ''] = (sec.id ?? '').split('\n');
  const selinux = (sec.selinux ?? '').trim();
  const pkgs = (sec.pkgmgrs ?? '').split('\n').map((s) => s.trim()).filter(Boolean);
  return {
    hostname,
    nodename: (sec.hostname ?? '').trim(),
    fqdn,
    domain: fqdn.includes('.') ? fqdn.slice(fqdn.indexOf('.') + 1) : '',
    system,
    kernel,
    kernel_version: kernelVersion,
    machine,
    architecture: machine,
    userspace_bits: /64/.test(machine) ? '64' : '32',
    ...distro,
    pkg_mgr: pkgMgr(distro.os_family, pkgs),
    service_mgr: serviceMgr(sec),
    ...cpuFacts(sec.cpuinfo ?? '', (sec.nproc ?? '').trim()),
    ...memFacts(sec.meminfo ?? ''),
    ...networkFacts(ifs, parseDefaultRoute(sec['ip-route'] ?? ''), parseDefaultRoute(sec['ip6-route'] ?? '')),
    user_id: userName,
    user_uid: uid ? Number(uid) : undefined,
    user_gid: gid ? Number(gid) : undefined,
    user_gname: groupName,
    nm_running: (sec.nm ?? '').trim() !== '',
    selinux: selinux ? { status: selinux === 'Disabled' ? 'disabled' : 'enabled', mode: selinux.toLowerCase() } : { status: 'disabled' },
  };
}

/** Gather facts in one round trip. Throws when the script fails entirely. */
export async function gatherFacts(transport: Transport, become?: Become | null): Promise<Record<string, unknown>> {
  const r = await transport.exec(FACTS_SCRIPT, { become: become ?? null });
  completeSections(r, FACT_CMDS.map(([n]) => n), 'gathering facts');
  return parseFacts(r.stdout);
}
