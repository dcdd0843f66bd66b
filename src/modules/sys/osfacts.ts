/**
 * The few host facts the system modules choose commands from (os_family, pkg_mgr,
 * service_mgr). Taken from ctx.facts when the play gathered them; otherwise read by a small
 * fact of the module itself (same section format as src/facts/host.ts, parsed by its parseFacts).
 */
import { parseFacts } from '../../facts/host.js';
import type { Fact, ModuleCtx } from '../types.js';

export interface OsFacts {
  os_family: string;
  pkg_mgr: string;
  service_mgr: string;
  distribution?: string;
}

export const OS_FACTS_SCRIPT = String.raw`LC_ALL=C; export LC_ALL
s() { printf '\n@@@ %s\n' "$1"; }
s os-release; cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null
s redhat-release; cat /etc/redhat-release 2>/dev/null
s pid1; cat /proc/1/comm 2>/dev/null
s systemd; [ -d /run/systemd/system ] && echo yes
s openrc; [ -x /sbin/openrc ] && echo yes
s pkgmgrs; for c in apt-get dnf yum zypper apk pacman; do command -v $c >/dev/null 2>&1 && echo $c; done
s end
exit 0`;

/** Pure: the OS facts from OS_FACTS_SCRIPT output. */
export function parseOsFacts(out: string): OsFacts {
  const f = parseFacts(out);
  return { os_family: String(f.os_family), pkg_mgr: String(f.pkg_mgr), service_mgr: String(f.service_mgr), distribution: String(f.distribution) };
}

/** The gathered OS facts, or undefined when the play did not gather them. */
export function gatheredOs(ctx: ModuleCtx): OsFacts | undefined {
  const f = ctx.facts ?? {};
  if (typeof f.os_family !== 'string' || typeof f.pkg_mgr !== 'string' || typeof f.service_mgr !== 'string') return undefined;
  return { os_family: f.os_family, pkg_mgr: f.pkg_mgr, service_mgr: f.service_mgr, distribution: f.distribution as string | undefined };
}

/** `{ _os: Fact }` when the facts must be read, else {} (spread into a module's facts). */
export function osFact(ctx: ModuleCtx): Record<string, Fact<OsFacts>> {
  return gatheredOs(ctx) ? {} : { _os: { cmd: OS_FACTS_SCRIPT, parse: (r) => parseOsFacts(r.stdout) } };
}

/** The OS facts from ctx or from the module's own _os fact. */
export function osOf(ctx: ModuleCtx, facts: { _os?: OsFacts }): OsFacts {
  const os = gatheredOs(ctx) ?? facts._os;
  if (!os) throw new Error('OS facts missing (neither gathered nor read)');
  return os;
}

/** Tagged-section splitting for a module's own fact scripts: `@@ name` lines. */
export function tagged(out: string): Record<string, string> {
  const res: Record<string, string> = {};
  const parts = out.split(/^@@ (\S+)$/m);
  for (let i = 1; i < parts.length; i += 2) res[parts[i]] = parts[i + 1].replace(/^\n/, '').replace(/\n$/, '');
  return res;
}
