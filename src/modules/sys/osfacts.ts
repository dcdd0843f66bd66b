/**
 * Shared bits of the system modules' facts: the OS facts the play gathered (os_family,
 * pkg_mgr, service_mgr; when the play did not gather them, each module's own fact script
 * detects what it needs on the host, in the same round trip), and the splitting of those
 * scripts' tagged output (`@@ name` lines).
 */
import type { ModuleCtx } from '../types.js';

export interface OsFacts {
  os_family: string;
  pkg_mgr: string;
  service_mgr: string;
  distribution?: string;
}

/** The gathered OS facts, or undefined when the play did not gather them. */
export function gatheredOs(ctx: ModuleCtx): OsFacts | undefined {
  const f = ctx.facts ?? {};
  if (typeof f.os_family !== 'string' || typeof f.pkg_mgr !== 'string' || typeof f.service_mgr !== 'string') return undefined;
  return { os_family: f.os_family, pkg_mgr: f.pkg_mgr, service_mgr: f.service_mgr, distribution: f.distribution as string | undefined };
}

/**
 * Split a fact script's output into its `@@ name` sections. Only for output that cannot hold a
 * line `@@ x` of its own: fixed-format values, package/unit/interface names, passwd lines
 * (names there never hold a newline). A name that may (file names) goes NUL-terminated instead.
 */
export function tagged(out: string): Record<string, string> {
  const res: Record<string, string> = {};
  const parts = out.split(/^@@ (\S+)$/m);
  for (let i = 1; i < parts.length; i += 2) res[parts[i]] = parts[i + 1].replace(/^\n/, '').replace(/\n$/, '');
  return res;
}
