/**
 * Shared bits of the system modules' facts: the OS facts the play gathered (os_family,
 * pkg_mgr, service_mgr; when the play did not gather them, each module's own fact script
 * detects what it needs on the host, in the same round trip; their scripts' sections: sections.ts).
 */
import type { PlanCtx } from '../engine/module/types.js';

export interface OsFacts {
  os_family: string;
  pkg_mgr: string;
  service_mgr: string;
  distribution?: string;
}

/** The gathered OS facts, or undefined when the play did not gather them. */
export function gatheredOs(ctx: PlanCtx): OsFacts | undefined {
  const f = ctx.facts ?? {};
  if (typeof f.os_family !== 'string' || typeof f.pkg_mgr !== 'string' || typeof f.service_mgr !== 'string') return undefined;
  return { os_family: f.os_family, pkg_mgr: f.pkg_mgr, service_mgr: f.service_mgr, distribution: f.distribution as string | undefined };
}
