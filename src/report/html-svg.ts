/**
 * The HTML report's SVG charts: a timeline per host (tasks as bars on a time axis) and, for a
 * live migration, remaining memory over time with the passes and the downtime marked. Text goes
 * through `esc` like everything else.
 */
import { fmtDuration } from './format.js';
import { fmtBytes } from '../modules/virt/virsh.js';
import type { Esc } from './html-parts.js';
import { shownStatus, worstShown, type ResultView, type RunView, type TaskView } from './html-model.js';
import { parseSize } from '../facts/virsh.js';

const fin = (n: number) => Number.isFinite(n);
const r1 = (n: number) => Math.round(n * 10) / 10;

/** 1, 2 or 5 times a power of ten, at least `raw` */
function niceStep(raw: number): number {
  if (!(raw > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

/** A duration step that reads well on an axis (ms, then seconds, then minutes). */
function timeStep(spanMs: number, ticks = 8): number {
  const raw = spanMs / ticks;
  if (raw < 1000) return niceStep(raw);
  if (raw < 60_000) return [1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000].find((s) => s >= raw) ?? 60_000;
  return niceStep(raw / 60_000) * 60_000;
}

const tickLabel = (ms: number) => (ms === 0 ? '0' : fmtDuration(ms));

/** Tasks as bars, one lane per host; a bar links to its result row. */
export function timelineSection(v: RunView, e: Esc): string {
  const timed = v.results.filter((r) => fin(r.start) && fin(r.end));
  if (!timed.length) return '';
  const t0 = Math.min(fin(v.start) ? v.start : Infinity, ...timed.map((r) => r.start));
  const t1 = Math.max(fin(v.end) ? v.end : -Infinity, ...timed.map((r) => r.end));
  const span = Math.max(1, t1 - t0);
  const lanes = v.hosts.filter((h) => timed.some((r) => r.host === h));
  const W = 1000, LABEL = 160, RIGHT = 12, TOP = 26, LANE = 28;
  const H = TOP + lanes.length * LANE + 8;
  const x = (t: number) => LABEL + ((t - t0) / span) * (W - LABEL - RIGHT);
  const out: string[] = [];
  const step = timeStep(span);
  for (let s = 0; s <= span + 1e-9; s += step) {
    const xx = r1(x(t0 + s));
    out.push(`<line class="tick" x1="${xx}" y1="${TOP - 6}" x2="${xx}" y2="${H - 4}"/><text class="axis" x="${xx}" y="${TOP - 10}" text-anchor="middle">${e(tickLabel(s))}</text>`);
  }
  lanes.forEach((h, i) => {
    const y = TOP + i * LANE;
    const shortName = h.length > 22 ? h.slice(0, 21) + '…' : h;
    out.push(`<rect class="lane${i % 2 ? ' odd' : ''}" x="0" y="${y}" width="${W}" height="${LANE}"/><text class="host" x="6" y="${y + LANE / 2 + 4}"><title>${e(h)}</title>${e(shortName)}</text>`);
  });
  for (const t of v.tasks) {
    const byHost = new Map<string, ResultView[]>();
    for (const r of t.results) if (fin(r.start) && fin(r.end)) byHost.set(r.host, [...(byHost.get(r.host) ?? []), r]);
    for (const [h, rs] of byHost) {
      const lane = lanes.indexOf(h);
      const a = Math.min(...rs.map((r) => r.start));
      const b = Math.max(...rs.map((r) => r.end));
      const s = worstShown(rs);
      const bx = r1(x(a));
      const bw = r1(Math.max(2, x(b) - x(a)));
      const y = TOP + lane * LANE + 5;
      const name = t.name || t.module;
      const tip = `${name} on ${h}: ${s}, ${fmtDuration(b - a)}`;
      const label = bw > name.length * 6.2 + 8 ? `<text class="barlabel" x="${r1(bx + 4)}" y="${y + 13}">${e(name)}</text>` : '';
      out.push(`<a href="#r${rs[0].id}"><rect class="bar fill-${s}" x="${bx}" y="${y}" width="${bw}" height="${LANE - 10}" rx="2"><title>${e(tip)}</title></rect>${label}</a>`);
    }
  }
  return `<section id="timeline"><h2>Timeline</h2><p class="muted">one lane per host; a bar is a task on that host (click: its result)</p>
<svg class="timeline" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="task timeline per host">${out.join('')}</svg></section>`;
}

interface Point {
  x: number;
  rem: number;
  total: number;
  iter: number;
}

export interface MigrationSeries {
  task: TaskView;
  host: string;
  points: Point[];
  /** x is libvirt's elapsed job time (else the time since the first sample) */
  elapsedAxis: boolean;
  downtimeMs: number;
  totalMs: number;
  iterations: number;
  result?: ResultView;
}

/** "1.2 GiB of 4.0 GiB left, ..., pass 3" (the progress text) when a sample carries no metrics. */
function fromText(text: string): { rem: number; total: number; iter: number } | null {
  const m = /([\d.]+\s*[KMGT]?i?B) of ([\d.]+\s*[KMGT]?i?B) left/.exec(text);
  if (!m) return null;
  const it = /\bpass (\d+)/.exec(text);
  return { rem: parseSize(m[1]), total: parseSize(m[2]), iter: it ? Number(it[1]) : NaN };
}

const numAt = (o: unknown, ...path: string[]): number => {
  let cur: unknown = o;
  for (const k of path) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[k] : undefined;
  return typeof cur === 'number' ? cur : NaN;
};

/** Per task and host: the samples of remaining memory of a migration (metrics, else the text). */
export function migrationSeries(v: RunView): MigrationSeries[] {
  const out: MigrationSeries[] = [];
  for (const t of v.tasks) {
    const hosts = [...new Set(t.progress.map((p) => p.host))];
    for (const host of hosts) {
      const raw = t.progress
        .filter((p) => p.host === host)
        .map((p) => {
          const m = p.metrics;
          const got = m && typeof m.remainingBytes === 'number' ? { rem: m.remainingBytes, total: m.totalBytes ?? NaN, iter: m.iteration ?? NaN } : fromText(p.text);
          return got && fin(got.rem) ? { ...got, t: p.t, el: m?.elapsedMs } : null;
        })
        .filter((p): p is NonNullable<typeof p> => p !== null);
      if (raw.length < 1) continue;
      const elapsedAxis = raw.every((p) => typeof p.el === 'number' && fin(p.el));
      const first = raw.find((p) => fin(p.t))?.t ?? 0;
      const points = raw.map((p) => ({ x: elapsedAxis ? (p.el as number) : fin(p.t) ? p.t - first : 0, rem: p.rem, total: p.total, iter: p.iter }));
      const result = [...t.results].reverse().find((r) => r.host === host);
      const mig = result?.data?.migration;
      out.push({ task: t, host, points, elapsedAxis, downtimeMs: numAt(mig, 'downtime_ms'), totalMs: numAt(mig, 'total_time_ms'), iterations: numAt(mig, 'iterations'), result });
    }
  }
  return out;
}

/** Remaining memory over time, a dashed line at each new pass, the downtime as a band at the end. */
function migrationChart(s: MigrationSeries, e: Esc): string {
  const W = 800, H = 300, L = 78, R = 20, T = 28, B = 40;
  const done = !!s.result && (s.result.status === 'changed' || s.result.status === 'ok') && s.result.data?.migrated === true;
  const lastX = s.points[s.points.length - 1].x;
  const endX = done && s.elapsedAxis && fin(s.totalMs) ? Math.max(s.totalMs, lastX) : lastX;
  const x0 = Math.min(0, s.points[0].x);
  const xmax = Math.max(endX, x0 + 1);
  const ymax = Math.max(1, ...s.points.map((p) => (fin(p.total) ? p.total : 0)), ...s.points.map((p) => p.rem));
  const X = (ms: number) => r1(L + ((ms - x0) / (xmax - x0)) * (W - L - R));
  const Y = (b: number) => r1(T + (1 - b / ymax) * (H - T - B));
  const out: string[] = [];
  const xs = timeStep(xmax - x0, 8);
  for (let ms = 0; ms <= xmax - x0 + 1e-9; ms += xs) out.push(`<line class="tick" x1="${X(x0 + ms)}" y1="${T}" x2="${X(x0 + ms)}" y2="${H - B}"/><text class="axis" x="${X(x0 + ms)}" y="${H - B + 16}" text-anchor="middle">${e(tickLabel(ms))}</text>`);
  // steps of 1, 2 or 5 KiB/MiB/GiB (binary units, as the labels)
  const unit = 1024 ** Math.max(0, Math.min(4, Math.floor(Math.log(ymax) / Math.log(1024))));
  const ys = niceStep(ymax / unit / 5) * unit;
  for (let b = 0; b <= ymax + 1e-9; b += ys) out.push(`<line class="tick" x1="${L}" y1="${Y(b)}" x2="${W - R}" y2="${Y(b)}"/><text class="axis" x="${L - 6}" y="${Y(b) + 4}" text-anchor="end">${e(fmtBytes(b))}</text>`);
  out.push(`<text class="axis" x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle">${e(s.elapsedAxis ? 'time since the job started' : 'time since the first sample')}</text>`);
  out.push(`<text class="axis" x="14" y="${(T + H - B) / 2}" transform="rotate(-90 14 ${(T + H - B) / 2})" text-anchor="middle">remaining memory</text>`);
  // passes
  let prev = NaN;
  for (const p of s.points) {
    if (fin(p.iter) && p.iter !== prev) {
      out.push(`<line class="pass" x1="${X(p.x)}" y1="${T}" x2="${X(p.x)}" y2="${H - B}"/><text class="passlabel" x="${X(p.x) + 3}" y="${T - 6}">${e(`pass ${p.iter}`)}</text>`);
      prev = p.iter;
    }
  }
  // downtime: the guest is paused for the final switch, at the end of the job
  if (done && fin(s.downtimeMs)) {
    const a = X(Math.max(x0, endX - s.downtimeMs));
    const w = r1(Math.max(3, X(endX) - a));
    const bx = r1(Math.min(a, W - R - w));
    out.push(`<rect class="downtime" x="${bx}" y="${T}" width="${w}" height="${H - T - B}"><title>${e(`downtime ${s.downtimeMs} ms`)}</title></rect><text class="dtlabel" x="${r1(bx - 4)}" y="${T + 14}" text-anchor="end">${e(`downtime ${s.downtimeMs} ms`)}</text>`);
  }
  const pts = s.points.map((p) => `${X(p.x)},${Y(p.rem)}`);
  out.push(`<polyline class="remaining" points="${pts.join(' ')}"/>`);
  if (done) out.push(`<polyline class="remaining end" points="${X(lastX)},${Y(s.points[s.points.length - 1].rem)} ${X(endX)},${Y(0)}"/>`);
  for (const p of s.points) out.push(`<circle class="sample" cx="${X(p.x)}" cy="${Y(p.rem)}" r="2.5"><title>${e(`${tickLabel(p.x - x0)}: ${fmtBytes(p.rem)} left${fin(p.iter) ? `, pass ${p.iter}` : ''}`)}</title></circle>`);
  const passes = fin(s.iterations) ? s.iterations : Math.max(0, ...s.points.map((p) => (fin(p.iter) ? p.iter : 0)));
  const facts = [
    `${s.points.length} samples`,
    passes ? `${passes} passes` : '',
    fin(s.downtimeMs) ? `downtime ${s.downtimeMs} ms` : '',
    fin(s.totalMs) ? `total ${fmtDuration(s.totalMs)}` : '',
    s.result ? `result: ${shownStatus(s.result)}` : 'no result',
  ].filter(Boolean);
  return `<figure class="migration"><figcaption><b>${e(s.task.name)}</b> on <b>${e(s.host)}</b> — ${e(facts.join(', '))}</figcaption>
<svg class="chart" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${e(`remaining memory of ${s.task.name} on ${s.host}`)}">${out.join('')}</svg></figure>`;
}

export function migrationsSection(v: RunView, e: Esc): string {
  const series = migrationSeries(v);
  if (!series.length) return '';
  return `<section id="migrations"><h2>Migrations</h2>${series.map((s) => migrationChart(s, e)).join('\n')}</section>`;
}
