/**
 * Ansible-like text formatting shared by the plain renderer and the TTY renderer
 * (which prints the same lines outside of its live area: play banners, failures, diffs, recap).
 */
import { emptyCounts, type Counts, type RunEvent } from './events.js';
import type { Explanation } from '../engine/module/types.js';
import type { Palette } from './color.js';
import { renderDiffs } from './diff.js';

export type Ev<K extends RunEvent['kind']> = Extract<RunEvent, { kind: K }>;
export type HostResult = Ev<'host_result'>;

export interface FormatOpts {
  palette: Palette;
  verbosity: number;
  /** --diff was given (informational: diffs are rendered whenever an event carries them) */
  diff: boolean;
  /** banner width (Ansible pads banners with `*` to the terminal width) */
  width: number;
}

/** Lines for the two streams: `out` (stdout) and `err` (warnings and errors, like Ansible). */
export interface Lines {
  out: string[];
  err: string[];
}

const PROGRESS_INTERVAL_MS = 2000;

export function banner(title: string, width: number): string {
  return `${title} ${'*'.repeat(Math.max(3, width - title.length - 1))}`;
}

export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return h > 0 ? `${h}h ${rest}` : rest;
}

export function compactJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** A failed-ish result: printed as `fatal:`/`failed:` whatever the final status (ignored, rescued). */
export function isFailure(ev: HostResult): boolean {
  return ev.status === 'failed' || ev.status === 'unreachable' || ev.status === 'ignored' || ev.status === 'rescued';
}

/** The headline status word used in one-line views (the TTY host line). */
export function statusWord(ev: HostResult): string {
  if (ev.status === 'failed' && ev.ignored) return 'failed (ignored)';
  if (ev.status === 'ignored') return 'failed (ignored)';
  if (ev.status === 'changed' && ev.check) return 'changed (check mode)';
  return ev.status;
}

export function statusPaint(status: string, p: Palette): (s: string) => string {
  switch (status) {
    case 'ok': return p.ok;
    case 'changed': return p.changed;
    case 'skipped': return p.skipped;
    case 'unreachable': return p.unreachable;
    case 'rescued': return p.rescued;
    case 'ignored': return p.ignored;
    default: return p.failed;
  }
}

/** `ok: [h]`, `changed: [h] => why`, `fatal: [h]: FAILED! => msg`, `...ignoring`, diff, -vv data. */
export function hostResultLines(ev: HostResult, f: FormatOpts): string[] {
  const p = f.palette;
  const host = `[${ev.host}]`;
  const item = ev.item !== undefined && ev.item !== null ? ` (item=${ev.item})` : '';
  const reason = typeof ev.reason === 'string' ? ev.reason : compactJson(ev.reason);
  const why = (show: boolean) => (show && reason ? ` => ${reason}` : '');
  const paint = statusPaint(ev.status, p);
  const out: string[] = [];
  switch (ev.status) {
    case 'ok':
      out.push(p.ok(`ok: ${host}${item}${ev.output !== undefined ? ` => ${ev.output}` : why(f.verbosity >= 1)}`));
      break;
    case 'changed':
      out.push(p.changed(`changed: ${host}${item}${ev.check ? ' (check mode)' : ''}${why(true)}`));
      break;
    case 'skipped':
      out.push(p.skipped(`skipping: ${host}${item}${why(f.verbosity >= 1)}`));
      break;
    case 'unreachable':
      out.push(p.unreachable(`fatal: ${host}${item}: UNREACHABLE! => ${reason || 'unreachable'}`));
      break;
    case 'failed':
    case 'ignored':
    case 'rescued':
    default: {
      const msg = reason || 'failed';
      out.push(p.failed(item ? `failed: ${host}${item} => ${msg}` : `fatal: ${host}: FAILED! => ${msg}`));
      break;
    }
  }
  if (ev.status === 'ignored' || (ev.ignored && (ev.status === 'failed' || ev.status === 'unreachable'))) {
    out.push(p.skipped('...ignoring'));
  } else if (ev.status === 'rescued') {
    out.push(p.rescued('...rescued'));
  }
  // shown whenever the event carries diffs: the engine attaches them only with --diff or a task's `diff: true`
  if (Array.isArray(ev.diff) && ev.diff.length > 0) out.push(...renderDiffs(ev.diff, p));
  if (f.verbosity >= 2 && ev.data !== undefined) out.push(paint(`    ${compactJson(ev.data)}`));
  return out;
}

const EXPLAIN_LABEL = 11;

/**
 * --explain, as indented lines a student can read and copy (commands unpainted):
 *   explain [nfs] (item=nfs):
 *     checked    firewall-cmd --permanent --zone=public --list-services
 *       found    ssh dhcpv6-client
 *     would run  firewall-cmd --permanent --zone=public --add-service=nfs
 *       why      add service nfs (permanent, zone public)
 *     reason     service nfs: enabled in zone public (permanent + runtime)
 * `p` paints the labels (default: none). Multi-line commands continue under their first line.
 */
export function explanationLines(ex: Explanation, p: Pick<Palette, 'dim'> = { dim: (s) => s }): string[] {
  const out: string[] = [];
  const put = (label: string, text: string, indent = '  ') => {
    const [first, ...rest] = String(text ?? '').split('\n');
    out.push(`${indent}${p.dim(label.padEnd(EXPLAIN_LABEL - indent.length + 2))}${first}`);
    for (const l of rest) out.push(`${' '.repeat(EXPLAIN_LABEL + 2)}${l}`);
  };
  if (ex.censored) {
    put('reason', ex.reason);
    return out;
  }
  const checked = Array.isArray(ex.checked) ? ex.checked : [];
  const runs = Array.isArray(ex.runs) ? ex.runs : [];
  for (const c of checked) {
    put('checked', c.cmd);
    put('found', c.found, '    ');
  }
  const verb = ex.check ? 'would run' : 'runs';
  if (!runs.length) put(verb, 'nothing');
  for (const r of runs) {
    const how = r.notRun ? ' (not run: an earlier command failed)' : typeof r.rc === 'number' && r.rc !== 0 ? ` (exit code ${r.rc})` : '';
    put(r.notRun ? 'not run' : verb, r.cmd);
    put('why', `${r.why}${how}`, '    ');
  }
  put('reason', ex.reason);
  return out;
}

export function explainLines(ev: Ev<'explain'>, f: FormatOpts): string[] {
  const item = ev.item !== undefined && ev.item !== null ? ` (item=${ev.item})` : '';
  return [f.palette.verbose(`explain [${ev.host}]${item}:`), ...explanationLines(ev.explain ?? { checked: [], runs: [], reason: '', check: false }, f.palette)];
}

export function recapLines(hosts: Record<string, Counts>, f: FormatOpts): string[] {
  const p = f.palette;
  const names = Object.keys(hosts ?? {}).sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const pad = Math.max(0, ...names.map((n) => n.length));
  const lines = ['', banner('PLAY RECAP', f.width)];
  for (const name of names) {
    const c: Counts = { ...emptyCounts(), ...hosts[name] };
    const hostPaint = c.failed > 0 || c.unreachable > 0 ? p.failed : c.changed > 0 ? p.changed : p.ok;
    const col = (key: keyof Counts, paint: (s: string) => string) => {
      const s = `${key}=${c[key]}`;
      return c[key] !== 0 ? paint(s) : s;
    };
    lines.push(
      `${hostPaint(name.padEnd(pad))} : ` +
        [
          col('ok', p.ok),
          col('changed', p.changed),
          col('unreachable', p.unreachable),
          col('failed', p.failed),
          col('skipped', p.skipped),
          col('rescued', p.rescued),
          col('ignored', p.ignored),
        ].join(' '),
    );
  }
  lines.push('');
  return lines;
}

function errorLines(ev: Ev<'error'>, f: FormatOpts): string[] {
  const p = f.palette;
  const lines = [p.error(`ERROR! ${ev.loc ? `${ev.loc}: ` : ''}${ev.msg}`)];
  if (ev.hint) lines.push(/^hint\b/i.test(ev.hint) ? ev.hint : `hint: ${ev.hint}`);
  return lines;
}

function warningLines(ev: Ev<'warning'>, f: FormatOpts): string[] {
  const text = `[WARNING]: ${ev.host ? `[${ev.host}] ` : ''}${ev.msg}${ev.loc ? ` (${ev.loc})` : ''}`;
  return text.split('\n').map((l, i) => f.palette.warn(i === 0 ? l : `  ${l}`));
}

function logLines(ev: Ev<'log'>, f: FormatOpts): string[] {
  if (f.verbosity < ev.level) return [];
  const paint = ev.level >= 3 ? f.palette.debug : f.palette.verbose;
  return [paint(`${ev.host ? `<${ev.host}> ` : ''}${ev.msg}`)];
}

export function progressText(ev: Ev<'progress'>, barWidth = 0): string {
  const frac = typeof ev.fraction === 'number' && Number.isFinite(ev.fraction) ? Math.min(1, Math.max(0, ev.fraction)) : undefined;
  if (frac === undefined) return ev.text;
  const pct = `${Math.floor(frac * 100)}%`;
  if (barWidth <= 0) return `${ev.text} (${pct})`;
  const full = Math.round(frac * barWidth);
  return `${ev.text} ${'█'.repeat(full)}${'░'.repeat(barWidth - full)} ${pct}`;
}

/**
 * Stateful Ansible-like formatter for every event kind (used as is by the plain renderer).
 * `now` is injectable for the progress throttle.
 */
export class PlainFormatter {
  private playbook = '';
  private listPlay: string | null = null;
  private listPlays = 0;
  private listedPlaybook = false;
  private lastProgress = new Map<string, number>();

  constructor(readonly f: FormatOpts, private readonly now: () => number = Date.now) {}

  format(ev: RunEvent): Lines {
    const f = this.f;
    const p = f.palette;
    const out: string[] = [];
    const err: string[] = [];
    switch (ev.kind) {
      case 'run_start':
        this.playbook = ev.playbook;
        if (f.verbosity >= 1) out.push(p.verbose(`playbook: ${ev.playbook}  inventory: ${ev.inventory}`));
        if (ev.check) out.push(p.changed('Running in check mode: changes are predicted, not applied'));
        break;
      case 'play_start':
        out.push('', banner(`PLAY [${ev.play}]${f.verbosity >= 1 && ev.loc ? ` (${ev.loc})` : ''}`, f.width));
        break;
      case 'task_start': {
        const name = `${ev.handler ? 'RUNNING HANDLER' : 'TASK'} [${ev.task || ev.module}]`;
        out.push('', banner(`${name}${f.verbosity >= 1 && ev.loc ? ` (${ev.loc})` : ''}`, f.width));
        break;
      }
      case 'host_result':
        out.push(...hostResultLines(ev, f));
        break;
      case 'explain':
        out.push(...explainLines(ev, f));
        break;
      case 'task_end':
        if (f.verbosity >= 2) out.push(p.dim(`task done in ${fmtDuration(ev.durationMs)}`));
        break;
      case 'progress': {
        const key = `${ev.task}\u0000${ev.host}`;
        const t = this.now();
        const last = this.lastProgress.get(key);
        const done = typeof ev.fraction === 'number' && ev.fraction >= 1;
        if (done || last === undefined || t - last >= PROGRESS_INTERVAL_MS) {
          this.lastProgress.set(key, t);
          out.push(p.dim(`progress: [${ev.host}] ${progressText(ev)}`));
        }
        break;
      }
      case 'warning':
        err.push(...warningLines(ev, f));
        break;
      case 'log':
        out.push(...logLines(ev, f));
        break;
      case 'list':
        out.push(...this.listLines(ev));
        break;
      case 'error':
        err.push(...errorLines(ev, f));
        break;
      case 'recap':
        out.push(...recapLines(ev.hosts, f));
        break;
      case 'run_end':
        out.push(
          `Finished in ${fmtDuration(ev.durationMs)}${ev.exitCode !== 0 ? p.failed(` (exit code ${ev.exitCode})`) : ''}`,
        );
        break;
      default: {
        const never: never = ev;
        void never; // an unknown kind at runtime (newer engine): nothing to print
      }
    }
    return { out, err };
  }

  /** ansible-playbook --list-hosts / --list-tasks / --list-tags layout */
  private listLines(ev: Ev<'list'>): string[] {
    const out: string[] = [];
    if (!this.listedPlaybook && this.playbook) out.push('', `playbook: ${this.playbook}`);
    this.listedPlaybook = true;
    if (ev.play !== this.listPlay) {
      this.listPlay = ev.play;
      this.listPlays++;
      out.push('', `  play #${this.listPlays}: ${ev.play}`);
    }
    const items = Array.isArray(ev.items) ? ev.items : [];
    if (ev.what === 'hosts') out.push(`    hosts (${items.length}):`, ...items.map((i) => `      ${i}`));
    else if (ev.what === 'tasks') out.push('    tasks:', ...items.map((i) => `      ${i}`));
    else out.push(`      TASK TAGS: [${items.join(', ')}]`);
    return out;
  }
}
