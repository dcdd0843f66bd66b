/**
 * Package-manager helpers for the package module: the explain of the package fact
 * (src/facts/packages.ts) and command builders for apt (Debian family) and dnf/yum (RedHat family).
 */
import { q } from '../../util/quote.js';
import type { ExplainCheck } from '../../engine/module/types.js';

import { STAMP, type PkgFacts, type PkgMgr } from '../../facts/packages.js';

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
