/**
 * Package-manager helpers for the package module: one fact script (installed state, candidate
 * versions, cache age, manager detection) and pure parsers and command builders for apt
 * (Debian family) and dnf/yum (RedHat family).
 */
import { q } from '../../util/quote.js';
import type { ExplainCheck } from '../types.js';
import { tagged } from './osfacts.js';

export type PkgMgr = 'apt' | 'dnf' | 'yum';

export interface PkgInfo {
  installed: boolean;
  version?: string;
  /** apt: candidate version ('(none)' -> undefined); dnf: newer version available */
  candidate?: string;
  /** a newer version is available (latest) */
  upgradable?: boolean;
  /** the package manager knows this name (apt: has a candidate or is installed) */
  known: boolean;
  /** dpkg: files left on the host (installed, or removed with its configuration files: `rc`); what purge removes */
  hasFiles?: boolean;
}

export interface PkgFacts {
  mgr: PkgMgr | 'unknown';
  pkgs: Record<string, PkgInfo>;
  /** seconds since the last cache update (undefined: never) */
  cacheAge?: number;
  /** apt: no package lists at all (fresh image) */
  listsEmpty: boolean;
  /** /usr/sbin/policy-rc.d exists already */
  policyRcD: boolean;
  /** the host's clock (epoch seconds) when the facts were read */
  now?: number;
}

/** Manager from os facts (pkg_mgr fact or os_family); 'auto' lets the fact script detect it. */
export function chooseMgr(use: string | undefined, pkgMgr: string | undefined, family: string | undefined): PkgMgr | 'auto' {
  if (use && use !== 'auto') {
    if (use === 'apt' || use === 'dnf' || use === 'yum') return use;
    throw new Error(`package manager '${use}' is not supported (apt, dnf, yum)`);
  }
  if (pkgMgr === 'apt' || pkgMgr === 'dnf' || pkgMgr === 'yum') return pkgMgr;
  if (family === 'Debian') return 'apt';
  if (family === 'RedHat') return 'dnf';
  return 'auto';
}

const STAMP = '/var/lib/apt/periodic/update-success-stamp';

/** The fact script: prints @@ mgr, @@ now, @@ stamp, @@ lists, @@ policy, @@ installed, @@ policy-out / @@ updates. */
export function pkgFactCmd(mgr: PkgMgr | 'auto', names: string[], latest: boolean): string {
  const n = names.map(q).join(' ');
  return [
    'LC_ALL=C; export LC_ALL',
    "NL='\n'",
    `m=${mgr}`,
    'if [ "$m" = auto ]; then if command -v apt-get >/dev/null 2>&1; then m=apt; elif command -v dnf >/dev/null 2>&1; then m=dnf; elif command -v yum >/dev/null 2>&1; then m=yum; else m=unknown; fi; fi',
    'echo "@@ mgr"; echo "$m"',
    'echo "@@ now"; date +%s',
    'echo "@@ policy"; [ -e /usr/sbin/policy-rc.d ] && echo yes',
    'case $m in',
    'apt)',
    `  echo "@@ stamp"; stat -c %Y ${STAMP} /var/cache/apt/pkgcache.bin 2>/dev/null`,
    // counted with a glob: no process
    '  echo "@@ lists"; set -- /var/lib/apt/lists/*_Packages; if [ -e "$1" ]; then echo $#; else echo 0; fi',
    `  echo "@@ installed"; i=$(dpkg-query -W -f='\${Package}\\t\${db:Status-Abbrev}\\t\${Version}\\n' ${n} 2>/dev/null); [ -n "$i" ] && printf '%s\\n' "$i"`,
    // apt-cache policy (it loads the whole package cache) only where a candidate matters: names
    // not installed (is there one to install?) and, for latest, every name (a newer version?)
    latest
      ? `  echo "@@ candidates"; apt-cache policy ${n} 2>/dev/null ;;`
      : `  set --; for p in ${n}; do case "$NL$i" in *"$NL$p	"?i*) ;; *) set -- "$@" "$p" ;; esac; done; echo "@@ candidates"; [ $# -gt 0 ] && apt-cache policy "$@" 2>/dev/null ;;`,
    'dnf|yum)',
    '  echo "@@ stamp"; stat -c %Y /var/cache/dnf/last_makecache /var/cache/yum/last_makecache 2>/dev/null',
    '  echo "@@ lists"; echo 1',
    `  echo "@@ installed"; rpm -q --qf '%{NAME}\\tii \\t%{VERSION}-%{RELEASE}\\n' ${n} 2>/dev/null | grep -v 'is not installed'`,
    latest ? `  echo "@@ updates"; $m -q -C check-update ${n} 2>/dev/null; echo "rc=$?" ;;` : '  ;;',
    'esac',
    'echo "@@ end"',
    'exit 0',
  ].join('\n');
}

/** `apt-cache policy` output -> name -> candidate version (undefined for "(none)"). */
export function parseAptPolicy(text: string): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  let cur: string | undefined;
  for (const line of text.split('\n')) {
    const h = /^(\S+):$/.exec(line);
    if (h) { cur = h[1].replace(/:(amd64|i386|arm64|armhf|all)$/, ''); out[cur] = undefined; continue; }
    const c = /^\s+Candidate:\s*(\S+)/.exec(line);
    if (c && cur) out[cur] = c[1] === '(none)' ? undefined : c[1];
  }
  return out;
}

/** `dnf check-update` output -> names with a newer version. */
export function parseCheckUpdate(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^(\S+)\.(\w+)\s+(\S+)\s+\S+/.exec(line);
    if (m && !line.startsWith('rc=')) out[m[1]] = m[3];
  }
  return out;
}

/** Pure parser of pkgFactCmd output. */
export function parsePkgFacts(out: string, names: string[]): PkgFacts {
  const s = tagged(out);
  const mgr = (s.mgr ?? '').trim() as PkgFacts['mgr'];
  const now = Number((s.now ?? '').trim());
  const stamps = (s.stamp ?? '').split('\n').map(Number).filter((x) => x > 0);
  const inst: Record<string, string> = {};
  const leftovers = new Set<string>();
  // one package per line: package names cannot hold a newline or tab (dpkg/rpm name rules)
  for (const line of (s.installed ?? '').split('\n')) {
    const [name, abbrev, version] = line.split('\t');
    // dpkg: "ii " = installed; "rc " = removed, config files left; "un " = unknown
    if (name && abbrev && /^.i/.test(abbrev)) inst[name.replace(/:(amd64|i386|arm64|armhf|all)$/, '')] = version ?? '';
    else if (name && abbrev && /^.c/.test(abbrev)) leftovers.add(name.replace(/:(amd64|i386|arm64|armhf|all)$/, ''));
  }
  const cand = mgr === 'apt' ? parseAptPolicy(s.candidates ?? '') : {};
  const upd = s.updates !== undefined ? parseCheckUpdate(s.updates) : {};
  const pkgs: Record<string, PkgInfo> = {};
  for (const n of names) {
    const installed = n in inst;
    const version = inst[n];
    if (mgr === 'apt') {
      const candidate = cand[n];
      pkgs[n] = { installed, version, candidate, known: installed || candidate !== undefined, upgradable: installed && candidate !== undefined && candidate !== version, hasFiles: installed || leftovers.has(n) };
    } else {
      pkgs[n] = { installed, version, candidate: upd[n], known: true, upgradable: installed && n in upd };
    }
  }
  return {
    mgr,
    pkgs,
    cacheAge: stamps.length && now ? Math.max(0, now - Math.max(...stamps)) : undefined,
    listsEmpty: mgr === 'apt' && Number((s.lists ?? '0').trim()) === 0,
    policyRcD: (s.policy ?? '').trim() === 'yes',
    ...(now ? { now } : {}),
  };
}

const ago = (s: number) => (s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : s < 172800 ? `${Math.round(s / 3600)} h` : `${Math.round(s / 86400)} days`);

/** --explain: what the fact script asked the package manager (as a student asks it) and what it found. */
export function pkgCheck(names: string[], f: PkgFacts): ExplainCheck {
  const n = names.map(q).join(' ');
  if (f.mgr !== 'apt' && f.mgr !== 'dnf' && f.mgr !== 'yum') return { cmd: 'command -v apt-get dnf yum', found: 'no supported package manager' };
  const state = names.map((x) => {
    const i = f.pkgs[x];
    if (!i) return `${x}: unknown`;
    if (i.installed) return `${x} ${i.version ?? ''} installed${i.upgradable ? ` (${i.candidate ?? 'a newer version'} available)` : ''}`;
    return `${x} not installed${f.mgr === 'apt' ? (i.candidate ? ` (${i.candidate} available)` : ' (not in the package lists)') : ''}`;
  });
  const age = f.cacheAge === undefined ? 'never updated' : `updated ${ago(f.cacheAge)} ago`;
  if (f.mgr === 'apt') return { cmd: `dpkg-query -W ${n}; apt-cache policy ${n}`, found: `${state.join('; ')}; package lists ${f.listsEmpty ? 'empty (never updated)' : age}` };
  return { cmd: `rpm -q ${n}`, found: `${state.join('; ')}; metadata cache ${age}` };
}

/**
 * --explain of an apt command run under withPolicy: the temporary /usr/sbin/policy-rc.d as the
 * commands it amounts to (nothing when the host has one already: then it is left alone).
 */
export function policyExplain(inner: string, code: number | undefined, exists: boolean): string | undefined {
  if (code === undefined) return undefined;
  if (exists) return `${inner}   # /usr/sbin/policy-rc.d exists already: left as it is`;
  return [
    `printf '#!/bin/sh\\nexit %s\\n' ${q(code)} > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d   # ${code === 101 ? 'the packages\' services are not started' : 'policy for the packages\' services'} while it runs`,
    inner,
    'rm -f /usr/sbin/policy-rc.d',
  ].join('\n');
}

export interface PkgCmdOpts {
  installRecommends?: boolean;
  policyRcD?: number;
  purge?: boolean;
}

const APT = 'DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold';

/** Wrap an apt command so that /usr/sbin/policy-rc.d exits with `code` while it runs (Ansible's policy_rc_d). */
function withPolicy(cmd: string, code: number | undefined): string {
  if (code === undefined) return cmd;
  return [
    'p=/usr/sbin/policy-rc.d',
    `if [ ! -e "$p" ]; then printf '#!/bin/sh\\nexit %s\\n' ${q(code)} > "$p" && chmod 755 "$p" && trap 'rm -f "$p"' EXIT; fi`,
    cmd,
  ].join('\n');
}

/** apt-get with Ansible's apt module's options (src/modules/apt.ts): `apt-get -y -q OPTIONS VERB ARGS` under a temporary policy-rc.d. */
export function aptGetCmd(verb: string, args: string[], o: { dpkgOptions?: string[]; flags?: string[]; policyRcD?: number } = {}): string {
  const dpkg = (o.dpkgOptions ?? ['force-confdef', 'force-confold']).map((x) => `-o ${q(`Dpkg::Options::=--${x}`)}`);
  const cmd = ['DEBIAN_FRONTEND=noninteractive DEBIAN_PRIORITY=critical apt-get -y -q', ...dpkg, ...(o.flags ?? []).map(q), verb, ...args.map(q)].join(' ');
  return withPolicy(cmd, o.policyRcD);
}

export function updateCacheCmd(mgr: PkgMgr): string {
  if (mgr === 'apt') return `${APT} update && mkdir -p /var/lib/apt/periodic && touch ${STAMP}`;
  return `${mgr} -q -y makecache`;
}

export function installCmd(mgr: PkgMgr, names: string[], o: PkgCmdOpts = {}): string {
  if (mgr === 'apt') {
    const rec = o.installRecommends === true ? ' --install-recommends' : o.installRecommends === false ? ' --no-install-recommends' : '';
    return withPolicy(`${APT}${rec} install ${names.map(q).join(' ')}`, o.policyRcD);
  }
  return `${mgr} -y install ${names.map(q).join(' ')}`;
}

export function upgradeCmd(mgr: PkgMgr, names: string[], o: PkgCmdOpts = {}): string {
  if (mgr === 'apt') return withPolicy(`${APT} --only-upgrade install ${names.map(q).join(' ')}`, o.policyRcD);
  return `${mgr} -y upgrade ${names.map(q).join(' ')}`;
}

export function removeCmd(mgr: PkgMgr, names: string[], o: PkgCmdOpts = {}): string {
  if (mgr === 'apt') return withPolicy(`${APT} ${o.purge ? 'purge' : 'remove'} ${names.map(q).join(' ')}`, o.policyRcD);
  return `${mgr} -y remove ${names.map(q).join(' ')}`;
}
