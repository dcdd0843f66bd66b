/**
 * package_facts: ansible_facts.packages in Ansible's shape: {NAME: [{name, version, ..., source}]},
 * from one script. apt (as Ansible's python-apt view): dpkg-query for name/version/arch/section,
 * `apt-cache policy` of the installed packages for each installed version's origin (the first
 * archive that has it, `o=` of its Release; '' when only dpkg knows it). rpm: rpm -qa.
 */
import { PROBES, sectionScript, sectionTexts } from '../facts/sections.js';
import type { Module, Plan } from '../engine/module/types.js';
import { object, strEnum, typed, type Static } from '../engine/module/schema.js';

export interface PkgFact {
  name: string;
  version: string;
  arch: string;
  source: 'apt' | 'rpm';
  category?: string;
  origin?: string;
  release?: string;
  epoch?: number | null;
}

export type PackageFactsParams = Static<typeof schema>;

const APT_CMDS: [string, string][] = [
  ['apt-native', '[ $apt = yes ] && dpkg --print-architecture 2>/dev/null'],
  // one package per line: package names hold no tab or newline (dpkg's name rules)
  ['apt-installed', "[ $apt = yes ] && dpkg-query -W -f='${Package}\\t${Version}\\t${Architecture}\\t${Section}\\t${db:Status-Abbrev}\\n' 2>/dev/null"],
  ['apt-releases', '[ $apt = yes ] && apt-cache policy 2>/dev/null'],
  // the section as the apt cache has it (python-apt's version.section; dpkg's may be older)
  ['apt-show', "[ $apt = yes ] && dpkg-query -W -f='${db:Status-Abbrev} ${Package}:${Architecture}=${Version}\\n' 2>/dev/null | awk '$1 ~ /^.[iUFWth]/ {print $2}' | xargs -r apt-cache show 2>/dev/null | grep -E '^(Package|Version|Architecture|Section):'"],
  ['apt-policy', "[ $apt = yes ] && dpkg-query -W -f='${db:Status-Abbrev} ${Package}:${Architecture}\\n' 2>/dev/null | awk '$1 ~ /^.[iUFWth]/ {print $2}' | xargs -r apt-cache policy 2>/dev/null"],
];
const RPM_CMDS: [string, string][] = [['rpm', "[ $rpm = yes ] && rpm -qa --qf '%{NAME}\\t%{VERSION}\\t%{RELEASE}\\t%{EPOCH}\\t%{ARCH}\\n' 2>/dev/null"]];

export function packageFactsCmd(managers: string[]): string {
  const apt = managers.includes('apt');
  const rpm = managers.includes('rpm');
  return sectionScript([
    // the managers that answer (one a line)
    ['mgrs', '[ $apt = yes ] && echo apt; [ $rpm = yes ] && echo rpm; :'],
    ...(apt ? APT_CMDS : []),
    ...(rpm ? RPM_CMDS : []),
  ], {
    ...PROBES,
    prelude: [
      'has() { command -v "$1" >/dev/null 2>&1; }',
      `apt=no; ${apt ? 'if has dpkg-query && has apt-cache; then apt=yes; fi' : ''}`,
      `rpm=no; ${rpm ? 'if has rpm; then rpm=yes; fi' : ''}`,
    ].join('\n'),
  });
}

/** `apt-cache policy` (no arguments): package file line -> its Release's origin (o=). */
export function parseReleases(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let file: string | undefined;
  for (const line of text.split('\n')) {
    const f = /^\s*-?\d+ (.+)$/.exec(line);
    if (f) {
      file = f[1].trim();
      continue;
    }
    const r = /^\s+release (.*)$/.exec(line);
    if (r && file !== undefined) {
      const o = /(?:^|,)o=([^,]*)/.exec(r[1]);
      out.set(file, o ? o[1] : '');
    }
  }
  return out;
}

/** `apt-cache policy PKG:ARCH...` -> PKG:ARCH -> the package file lines of the installed (***) version. */
export function parseInstalledSources(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let pkg: string | undefined;
  let inInstalled = false;
  for (const line of text.split('\n')) {
    const h = /^(\S+):$/.exec(line);
    if (h) {
      pkg = h[1];
      inInstalled = false;
      continue;
    }
    if (!pkg) continue;
    const v = /^ (\*\*\*| {3}) \S+ -?\d+$/.exec(line);
    if (v) {
      inInstalled = v[1] === '***';
      if (inInstalled) out.set(pkg, []);
      continue;
    }
    const src = /^\s{8}-?\d+ (.+)$/.exec(line);
    if (src && inInstalled) out.get(pkg)!.push(src[1].trim());
  }
  return out;
}

/** `apt-cache show` fields (Package, Version, Architecture, Section) -> "name\tversion\tarch" -> section (the first record). */
export function parseSections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let rec: Record<string, string> = {};
  const flush = () => {
    const k = `${rec.Package}\t${rec.Version}\t${rec.Architecture}`;
    if (rec.Package && rec.Section !== undefined && !out.has(k)) out.set(k, rec.Section);
    rec = {};
  };
  for (const line of text.split('\n')) {
    const m = /^(Package|Version|Architecture|Section): (.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === 'Package') flush();
    rec[m[1]] = m[2];
  }
  flush();
  return out;
}

/** Pure: the packages table (null-prototype, every name a list as in Ansible). */
export function parsePackageFacts(out: string, managers: string[], strategy: 'first' | 'all'): { packages: Record<string, PkgFact[]>; found: number } {
  const s = sectionTexts(out);
  const mgrs = (s.mgrs ?? '').split('\n');
  const packages: Record<string, PkgFact[]> = Object.create(null);
  const add = (p: PkgFact) => (packages[p.name] ??= []).push(p);
  let found = 0;
  for (const m of managers) {
    if (found && strategy === 'first') break;
    if (m === 'apt' && mgrs.includes('apt')) {
      found++;
      const native = (s['apt-native'] ?? '').trim();
      const origins = parseReleases(s['apt-releases'] ?? '');
      const sources = parseInstalledSources(s['apt-policy'] ?? '');
      const sectionOf = parseSections(s['apt-show'] ?? '');
      for (const line of (s['apt-installed'] ?? '').split('\n')) {
        const [pkg, version, arch, section, abbrev] = line.split('\t');
        // python-apt's is_installed: a current version (not "not installed" nor "config files only")
        if (!pkg || !abbrev || !/^.[iUFWth]/.test(abbrev)) continue;
        const name = arch === native || arch === 'all' || !native ? pkg : `${pkg}:${arch}`;
        const files = (sources.get(name) ?? []).filter((f) => f !== '/var/lib/dpkg/status');
        add({ name, version, arch, category: sectionOf.get(`${pkg}\t${version}\t${arch}`) ?? section ?? '', origin: files.length ? origins.get(files[0]) ?? '' : '', source: 'apt' });
      }
    }
    if (m === 'rpm' && mgrs.includes('rpm')) {
      found++;
      for (const line of (s.rpm ?? '').split('\n')) {
        const [name, version, release, epoch, arch] = line.split('\t');
        if (!name) continue;
        add({ name, version, release, epoch: /^\d+$/.test(epoch ?? '') ? Number(epoch) : null, arch, source: 'rpm' });
      }
    }
  }
  return { packages, found };
}

const KNOWN = ['apt', 'rpm'];
const ANSIBLE_MANAGERS = ['apk', 'apt', 'pacman', 'pkg', 'pkg_info', 'portage', 'rpm'];

export function managersOf(p: PackageFactsParams): string[] {
  const given = p.manager === undefined ? ['auto'] : (Array.isArray(p.manager) ? p.manager : String(p.manager).split(',')).map((x) => x.trim().toLowerCase());
  const list = given.flatMap((m) => (m === 'auto' ? KNOWN : [m]));
  const unsupported = list.filter((m) => !KNOWN.includes(m));
  if (unsupported.length) {
    const known = unsupported.filter((m) => ANSIBLE_MANAGERS.includes(m));
    throw new Error(known.length ? `package manager ${known.join(', ')} is not supported by kvplay (apt, rpm)` : `Unsupported package managers requested: ${unsupported.join(', ')}`);
  }
  return [...new Set(list)];
}

export function planPackageFacts(p: PackageFactsParams, f: { packages: Record<string, PkgFact[]>; found: number }): Plan {
  if (!f.found) throw new Error(`Could not detect a supported package manager from the following list: ${JSON.stringify(managersOf(p)).replace(/"/g, "'").replace(/,/g, ', ')}, or the required Python library is not installed. Check warnings for details.`);
  return { kind: 'ok', reason: `${Object.keys(f.packages).length} packages`, result: { ansible_facts: { packages: f.packages } } };
}

const schema = object({
  manager: typed<string[] | string>({ type: ['array', 'string'], items: { type: 'string' }, description: 'auto (default), apt, rpm: the package managers asked.' }),
  strategy: strEnum(['first', 'all'], 'first (default): the first manager that answers; all: every one.'),
});

export const package_facts: Module<PackageFactsParams, { p: { packages: Record<string, PkgFact[]>; found: number } }> = {
  name: 'package_facts',
  reasonIsMsg: false,
  doc: "Ansible's package_facts: ansible_facts.packages, every installed package (apt: name, version, arch, category, origin; rpm: name, version, release, epoch, arch).",
  schema,
  facts: (p) => {
    const ms = managersOf(p);
    return { p: { cmd: packageFactsCmd(ms), parse: (r) => parsePackageFacts(r.stdout, ms, p.strategy ?? 'first'), explain: (f) => ({ cmd: ms.includes('apt') ? "dpkg-query -W; apt-cache policy" : 'rpm -qa', found: `${Object.keys((f as { packages: object }).packages).length} packages` }) } };
  },
  plan: (p, f) => planPackageFacts(p, f.p),
};
