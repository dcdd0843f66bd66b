/**
 * The package fact of the package modules: one script (installed state, candidate versions,
 * cache age, manager detection) and its pure parsers, for apt (Debian family) and dnf/yum
 * (RedHat family). Tested from recorded output (test/modules/sys/fixtures/apt-facts*.txt).
 */
import { q } from '../util/quote.js';
import { PROBES, sectionScript, sectionTexts } from './sections.js';

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

/** apt's cache stamp (written after an update, as unattended-upgrades' periodic job does) */
export const STAMP = '/var/lib/apt/periodic/update-success-stamp';

/** The fact script: sections mgr, now, policy, stamp, lists, installed, candidates (apt) / updates (dnf, yum; latest only). */
export function pkgFactCmd(mgr: PkgMgr | 'auto', names: string[], latest: boolean): string {
  const n = names.map(q).join(' ');
  return sectionScript([
    ['mgr', 'echo "$m"'],
    ['now', 'date +%s'],
    ['policy', '[ -e /usr/sbin/policy-rc.d ] && echo yes'],
    ['stamp', `case $m in apt) stat -c %Y ${STAMP} /var/cache/apt/pkgcache.bin 2>/dev/null;; dnf|yum) stat -c %Y /var/cache/dnf/last_makecache /var/cache/yum/last_makecache 2>/dev/null;; *) false;; esac`],
    // counted with a glob: no process
    ['lists', 'case $m in apt) set -- /var/lib/apt/lists/*_Packages; if [ -e "$1" ]; then echo $#; else echo 0; fi;; dnf|yum) echo 1;; *) false;; esac'],
    ['installed', `case $m in apt) i=$(dpkg-query -W -f='\${Package}\\t\${db:Status-Abbrev}\\t\${Version}\\n' ${n} 2>/dev/null); [ -n "$i" ] && printf '%s\\n' "$i";; dnf|yum) rpm -q --qf '%{NAME}\\tii \\t%{VERSION}-%{RELEASE}\\n' ${n} 2>/dev/null | grep -v 'is not installed';; *) false;; esac`],
    // apt-cache policy (it loads the whole package cache) only where a candidate matters: names
    // not installed (is there one to install?) and, for latest, every name (a newer version?)
    ['candidates', latest
      ? `[ "$m" = apt ] && apt-cache policy ${n} 2>/dev/null`
      : `[ "$m" = apt ] && { set --; for p in ${n}; do case "$NL$i" in *"$NL$p	"?i*) ;; *) set -- "$@" "$p" ;; esac; done; [ $# -gt 0 ] && apt-cache policy "$@" 2>/dev/null; }`],
    // the section's exit code is check-update's (100: updates available)
    ...(latest ? [['updates', `{ [ "$m" = dnf ] || [ "$m" = yum ]; } && $m -q -C check-update ${n} 2>/dev/null`] as const] : []),
  ], {
    ...PROBES,
    prelude: [
      "NL='\n'",
      `m=${mgr}; i=`,
      'if [ "$m" = auto ]; then if command -v apt-get >/dev/null 2>&1; then m=apt; elif command -v dnf >/dev/null 2>&1; then m=dnf; elif command -v yum >/dev/null 2>&1; then m=yum; else m=unknown; fi; fi',
    ].join('\n'),
  });
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
  const s = sectionTexts(out);
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

