/**
 * What the libvirt modules do with the virsh facts (src/facts/virsh.ts): the plan when virsh is
 * missing, and a migration job's progress (fraction, chart metrics, text).
 */
import type { PlanCtx, Plan } from '../../engine/module/types.js';
import type { ProgressMetrics } from '../../report/events.js';
import type { JobInfo } from '../../facts/virsh.js';

/**
 * Plan when virsh is missing: in check mode an earlier task (the libvirt packages) may install
 * it, so predict a change; in a real run it is an error.
 */
export function assumeVirsh(ctx: PlanCtx, what: string): Plan {
  if (!ctx.check) throw new Error(`${what}: virsh is not installed on the host (install libvirt-clients and libvirt-daemon-system first)`);
  return { kind: 'change', reason: `${what}: (check mode: virsh is not installed yet, assuming an earlier task installs it)`, steps: [] };
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

