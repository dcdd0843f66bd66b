/**
 * --report FILE: the whole run as one JSON document, written atomically (temp + rename) at close.
 */
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import type { Counts, HostStatus, Reporter, RunEvent } from './events.js';
import { safeJson, stamp, type StampedEvent } from './json.js';
import type { Ev, HostResult } from './format.js';
import type { Explanation } from '../engine/module/types.js';

export const REPORT_VERSION = 1;

export interface ReportHost {
  /** last result without a loop item, else the worst item status */
  status: HostStatus;
  reason: string;
  durationMs: number;
  /** every host_result for this host in this task (one per loop item) */
  results: Array<HostResult & { ts: string }>;
  /** --explain: what was checked and run, one per result (loop item) */
  explain?: Array<Explanation & { item?: string }>;
}

/** A task as its task_start event tells it (the --report file's and the HTML report's). */
export interface TaskHead {
  play: string;
  name: string;
  module: string;
  loc: string;
  handler: boolean;
  hosts: string[];
}

export interface ReportTask extends TaskHead {
  startedAt: string;
  durationMs: number | null;
  results: Record<string, ReportHost>;
}

export interface ReportDocument {
  kvplayReport: number;
  run: {
    playbook: string | null;
    inventory: string | null;
    check: boolean;
    diff: boolean;
    startedAt: string | null;
    finishedAt: string;
    durationMs: number | null;
    exitCode: number | null;
  };
  plays: Array<{ name: string; hosts: string[]; loc: string }>;
  tasks: ReportTask[];
  warnings: Array<Ev<'warning'> & { ts: string }>;
  errors: Array<Ev<'error'> & { ts: string }>;
  recap: Record<string, Counts> | null;
  exitCode: number | null;
  events: StampedEvent[];
}

const SEVERITY: Record<HostStatus, number> = { skipped: 0, ok: 1, changed: 2, rescued: 3, ignored: 4, failed: 5, unreachable: 6 };

/** Pure: build the report document from stamped events. */
export function buildReport(events: StampedEvent[], finishedAt: Date = new Date()): ReportDocument {
  const doc: ReportDocument = {
    kvplayReport: REPORT_VERSION,
    run: { playbook: null, inventory: null, check: false, diff: false, startedAt: null, finishedAt: finishedAt.toISOString(), durationMs: null, exitCode: null },
    plays: [],
    tasks: [],
    warnings: [],
    errors: [],
    recap: null,
    exitCode: null,
    events,
  };
  let current: ReportTask | null = null;
  /** --explain events wait for the host_result they explain (it follows them) */
  const explained = new Map<string, Array<Explanation & { item?: string }>>();
  const findTask = (name: string): ReportTask | null => {
    if (current && current.name === name) return current;
    for (let i = doc.tasks.length - 1; i >= 0; i--) if (doc.tasks[i].name === name) return doc.tasks[i];
    return current;
  };
  for (const ev of events) {
    switch (ev.kind) {
      case 'run_start':
        Object.assign(doc.run, { playbook: ev.playbook, inventory: ev.inventory, check: ev.check, diff: ev.diff, startedAt: ev.time || ev.ts });
        break;
      case 'play_start':
        doc.plays.push({ name: ev.play, hosts: ev.hosts, loc: ev.loc });
        break;
      case 'task_start':
        current = { play: ev.play, name: ev.task, module: ev.module, loc: ev.loc, handler: !!ev.handler, hosts: ev.hosts, startedAt: ev.ts, durationMs: null, results: Object.create(null) };
        doc.tasks.push(current);
        break;
      case 'host_result': {
        const t = findTask(ev.task);
        if (!t) break;
        const entry = (t.results[ev.host] ??= { status: ev.status, reason: ev.reason, durationMs: 0, results: [] });
        entry.results.push(ev);
        const ex = explained.get(`${ev.task}\0${ev.host}`);
        if (ex) {
          (entry.explain ??= []).push(...ex);
          explained.delete(`${ev.task}\0${ev.host}`);
        }
        entry.durationMs += Number(ev.durationMs) || 0;
        const plain = entry.results.filter((r) => r.item === undefined);
        const pick = plain.length > 0 ? plain[plain.length - 1] : entry.results.reduce((a, b) => ((SEVERITY[b.status] ?? 0) >= (SEVERITY[a.status] ?? 0) ? b : a));
        entry.status = pick.status;
        entry.reason = pick.reason;
        break;
      }
      case 'explain': {
        const key = `${ev.task}\0${ev.host}`;
        explained.set(key, [...(explained.get(key) ?? []), { ...ev.explain, ...(ev.item !== undefined ? { item: ev.item } : {}) }]);
        break;
      }
      case 'task_end': {
        const t = findTask(ev.task);
        if (t) t.durationMs = ev.durationMs;
        if (t === current) current = null;
        break;
      }
      case 'warning':
        doc.warnings.push(ev);
        break;
      case 'error':
        doc.errors.push(ev);
        break;
      case 'recap':
        doc.recap = ev.hosts;
        break;
      case 'run_end':
        doc.exitCode = doc.run.exitCode = ev.exitCode;
        doc.run.durationMs = ev.durationMs;
        break;
      case 'progress':
      case 'log':
      case 'list':
        break;
      default: {
        const never: never = ev;
        void never;
      }
    }
  }
  return doc;
}

/** Write `text` to `file` atomically: a temp file in the same directory, then rename. */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  try {
    await writeFile(tmp, text, { mode: 0o600 });
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
}

export class ReportFileWriter implements Reporter {
  private readonly events: StampedEvent[] = [];
  private closing: Promise<void> | null = null;

  /** `finish`: a last pass over the document's JSON text (the redactor's second net) */
  constructor(
    readonly file: string,
    private readonly now: () => Date = () => new Date(),
    private readonly finish: (json: string) => string = (t) => t,
  ) {}

  emit(ev: RunEvent): void {
    if (this.closing) return;
    this.events.push(stamp(structuredCloneSafe(ev), this.now));
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const doc = buildReport(this.events, this.now());
      try {
        await writeFileAtomic(this.file, this.finish(safeJson(doc, 2)) + '\n');
      } catch (e) {
        throw new Error(`could not write report file ${this.file}: ${(e as Error).message}`);
      }
    })();
    return this.closing;
  }
}

/** Events are kept until close: copy them so later mutation by the engine does not change history. */
export function structuredCloneSafe<T>(v: T): T {
  try {
    return structuredClone(v);
  } catch {
    return v;
  }
}
