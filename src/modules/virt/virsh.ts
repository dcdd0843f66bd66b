/**
 * virsh plumbing (pure): sectioned fact scripts (several commands, one round trip, each with
 * its own exit code) and parsers of virsh's text output (domstate, dominfo, pool-info,
 * domjobinfo, sizes). Tested against recorded output in test/modules/virt/.
 */
import { q } from '../../util/quote.js';
import type { PlanCtx, Plan } from '../../engine/module/types.js';
import type { ProgressMetrics } from '../../report/events.js';
import type { Section, Sections } from '../../facts/sections.js';

// the section format lives in src/facts/sections.ts (one format for every multi-part script)
export { parseSections, sectionScript, sectionsOf, type Section, type Sections } from '../../facts/sections.js';

/** virsh itself is missing (rc 127 in any section). */
export function virshMissing(s: Sections): boolean {
  return Object.values(s).some((x) => x.rc === 127 && /virsh/.test(x.out));
}

/**
 * Plan when virsh is missing: in check mode an earlier task (the libvirt packages) may install
 * it, so predict a change; in a real run it is an error.
 */
export function assumeVirsh(ctx: PlanCtx, what: string): Plan {
  if (!ctx.check) throw new Error(`${what}: virsh is not installed on the host (install libvirt-clients and libvirt-daemon-system first)`);
  return { kind: 'change', reason: `${what}: (check mode: virsh is not installed yet, assuming an earlier task installs it)`, steps: [] };
}

/** Does this virsh error say the object does not exist? */
export function isNotFound(text: string): boolean {
  return /failed to get (domain|pool|network)|Domain not found|Storage pool not found|Network not found|no (domain|storage pool|network) with matching/i.test(text);
}

/** Is the failure "cannot reach libvirt" (daemon down, socket missing)? */
export function isNoDaemon(text: string): boolean {
  return /failed to connect to the hypervisor|Failed to connect socket|libvirt-sock|Connection refused|No such file or directory.*sock/i.test(text);
}

/** virsh's last error message ("error: ..." anywhere in a line, e.g. after progress output), or the text. */
export function virshError(text: string): string {
  const errs: string[] = [];
  for (const line of text.split(/[\n\r]/)) {
    const m = /(?:^|\s|\])error:\s*(.*)$/.exec(line.trim());
    if (m) errs.push(m[1].trim());
  }
  if (errs.length) return errs[errs.length - 1];
  return text.trim().split('\n').filter(Boolean).pop()?.trim() ?? '';
}

export type DomState = 'running' | 'idle' | 'paused' | 'in shutdown' | 'shut off' | 'crashed' | 'pmsuspended' | 'blocked' | 'dying';

/** `virsh domstate NAME`: the state, or null when the domain does not exist. Throws on other errors. */
export function parseDomstate(s: Section, name: string): DomState | null {
  if (s.rc !== 0) {
    if (isNotFound(s.out)) return null;
    throw new Error(`virsh domstate ${name}: ${virshError(s.out)}`);
  }
  const st = s.out.trim().split('\n')[0].trim();
  return st as DomState;
}

/**
 * "Key:   value" lines (dominfo, pool-info, domjobinfo, nodeinfo). The last value of a key wins:
 * a name holding a newline (the Name line comes first) cannot override the keys virsh prints after it.
 */
export function parseKv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([^:]+?):\s*(.*?)\s*$/.exec(line);
    if (m && !/^error/.test(m[1])) out[m[1].trim()] = m[2];
  }
  return out;
}

const SIZE_UNITS: Record<string, number> = {
  b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4, kb: 1000, mb: 1e6, gb: 1e9, tb: 1e12, bytes: 1,
};

/** "69.985 MiB" -> bytes ("0.000 B" -> 0). NaN when unreadable. */
export function parseSize(v: string | undefined): number {
  if (!v) return NaN;
  const m = /^([\d.]+)\s*([A-Za-z]+)?/.exec(v.trim());
  if (!m) return NaN;
  const f = SIZE_UNITS[(m[2] ?? 'b').toLowerCase()];
  return f === undefined ? NaN : Number(m[1]) * f;
}

/** "733          ms" -> 733 */
export function parseMs(v: string | undefined): number {
  if (!v) return NaN;
  const m = /^([\d.]+)\s*(ms|s)?/.exec(v.trim());
  if (!m) return NaN;
  return m[2] === 's' ? Number(m[1]) * 1000 : Number(m[1]);
}

export interface JobInfo {
  /** None, Unbounded, Completed, Failed, Cancelled */
  type: string;
  operation?: string;
  elapsedMs: number;
  dataProcessed: number;
  dataRemaining: number;
  dataTotal: number;
  /** bytes per second */
  bandwidth: number;
  downtimeMs: number;
  iteration: number;
  dirtyRate: number;
  postcopyRequests: number;
}

/** `virsh domjobinfo NAME [--completed]`. */
export function parseJobInfo(text: string): JobInfo {
  const kv = parseKv(text);
  return {
    type: kv['Job type'] ?? 'None',
    ...(kv['Operation'] ? { operation: kv['Operation'] } : {}),
    elapsedMs: parseMs(kv['Time elapsed']),
    dataProcessed: parseSize(kv['Data processed']),
    dataRemaining: parseSize(kv['Data remaining']),
    dataTotal: parseSize(kv['Data total']),
    bandwidth: parseSize((kv['Memory bandwidth'] ?? '').replace(/\/s$/, '')),
    downtimeMs: parseMs(kv['Total downtime']),
    iteration: Number(kv['Iteration'] ?? NaN),
    dirtyRate: Number((kv['Dirty rate'] ?? '').split(/\s+/)[0] || NaN),
    postcopyRequests: Number(kv['Postcopy requests'] ?? 0),
  };
}

/** Progress fraction of a running migration job (0..1), from data remaining vs total. */
export function jobFraction(j: JobInfo): number | undefined {
  if (!(j.dataTotal > 0) || !Number.isFinite(j.dataRemaining)) return undefined;
  return Math.min(1, Math.max(0, 1 - j.dataRemaining / j.dataTotal));
}

/** The numbers of a migration job sample (progress metrics for the HTML report's chart); unknown ones left out. */
export function jobMetrics(j: JobInfo): ProgressMetrics {
  const m: ProgressMetrics = {};
  const put = (k: keyof ProgressMetrics, v: number) => {
    if (Number.isFinite(v)) m[k] = v;
  };
  put('remainingBytes', j.dataRemaining);
  put('totalBytes', j.dataTotal);
  put('processedBytes', j.dataProcessed);
  put('bandwidthBytesPerS', j.bandwidth);
  put('iteration', j.iteration);
  put('elapsedMs', j.elapsedMs);
  put('dirtyRate', j.dirtyRate);
  return m;
}

export function fmtBytes(n: number): string {
  if (!Number.isFinite(n)) return '?';
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(0)} KiB`;
  return `${Math.round(n)} B`;
}

/** Progress text of a migration job. */
export function jobText(j: JobInfo): string {
  const parts = [`${fmtBytes(j.dataRemaining)} of ${fmtBytes(j.dataTotal)} left`];
  if (j.bandwidth > 0) parts.push(`${fmtBytes(j.bandwidth)}/s`);
  if (j.iteration > 0) parts.push(`pass ${j.iteration}`);
  if (j.dirtyRate > 0) parts.push(`${j.dirtyRate} dirty pages/s`);
  return parts.join(', ');
}

/** dominfo / pool-info: { exists, state, autostart, persistent } */
export function parseInfo(s: Section): { exists: boolean; state?: string; autostart?: boolean; persistent?: boolean } {
  if (s.rc !== 0) {
    if (isNotFound(s.out)) return { exists: false };
    throw new Error(virshError(s.out));
  }
  const kv = parseKv(s.out);
  const yes = (v: string | undefined) => (v === undefined ? undefined : /^(yes|enable)/i.test(v));
  return { exists: true, state: kv['State'], autostart: yes(kv['Autostart']), persistent: yes(kv['Persistent']) };
}

/** `virsh -c URI` prefix (empty for the local default). */
export function virsh(uri?: string): string {
  return uri ? `virsh -c ${q(uri)}` : 'virsh';
}
