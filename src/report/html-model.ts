/**
 * The HTML report's view of a run (src/report/html.ts renders it): built from stamped events that
 * are ALREADY REDACTED (the reporter's FanOut redacts before any sink; a --report file holds only
 * redacted events), by one exhaustive switch over the event kinds.
 */
import type { Counts, HostStatus, ProgressMetrics, RunEvent } from './events.js';
import type { Explanation } from '../engine/module/types.js';
import type { Diff } from './events.js';
import type { StampedEvent } from './json.js';
import type { Ev } from './format.js';
import type { TaskHead } from './file.js';

export interface ResultView {
  /** index in RunView.results (the row id) */
  id: number;
  task: TaskView;
  host: string;
  status: HostStatus;
  reason: string;
  item?: string;
  diff?: Diff[];
  data?: Record<string, unknown>;
  output?: string;
  /** --explain: what was checked and run (the explain event before this result) */
  explain?: Explanation;
  ignored: boolean;
  check: boolean;
  durationMs: number;
  /** epoch ms; NaN when unknown */
  start: number;
  end: number;
}

export interface ProgressSample {
  host: string;
  /** epoch ms of the event (NaN when unknown) */
  t: number;
  text: string;
  fraction?: number;
  metrics?: ProgressMetrics;
}

export interface TaskView extends TaskHead {
  id: number;
  start: number;
  end: number;
  durationMs: number | null;
  results: ResultView[];
  progress: ProgressSample[];
}

export interface PlayView {
  name: string;
  hosts: string[];
  loc: string;
  tasks: TaskView[];
}

export interface RunView {
  playbook: string | null;
  inventory: string | null;
  check: boolean;
  diff: boolean;
  /** epoch ms of run_start (else of the first event) */
  start: number;
  end: number;
  durationMs: number | null;
  exitCode: number | null;
  plays: PlayView[];
  tasks: TaskView[];
  results: ResultView[];
  /** every host seen, in order of appearance */
  hosts: string[];
  warnings: Array<Ev<'warning'> & { t: number }>;
  errors: Array<Ev<'error'> & { t: number }>;
  logs: Array<Ev<'log'> & { t: number }>;
  lists: Array<Ev<'list'>>;
  recap: Record<string, Counts> | null;
  /** kinds this version does not know (a newer kvplay wrote the file) */
  unknown: string[];
}

const time = (ts: unknown): number => (typeof ts === 'string' ? Date.parse(ts) : NaN);
const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const strList = (v: unknown): string[] => (Array.isArray(v) ? v.map(str) : []);
const STATUSES: readonly HostStatus[] = ['ok', 'changed', 'failed', 'skipped', 'unreachable', 'rescued', 'ignored'];
const status = (v: unknown): HostStatus => (STATUSES.includes(v as HostStatus) ? (v as HostStatus) : 'failed');

/** Build the view. `events` may lack `ts` (then times are unknown and the timeline is left out). */
export function buildRunView(events: ReadonlyArray<RunEvent & { ts?: string }>): RunView {
  const v: RunView = {
    playbook: null, inventory: null, check: false, diff: false, start: NaN, end: NaN, durationMs: null, exitCode: null,
    plays: [], tasks: [], results: [], hosts: [], warnings: [], errors: [], logs: [], lists: [], recap: null, unknown: [],
  };
  const seen = new Set<string>();
  const addHost = (h: string) => {
    if (!seen.has(h)) {
      seen.add(h);
      v.hosts.push(h);
    }
  };
  let play: PlayView | null = null;
  let current: TaskView | null = null;
  const playOf = (name: string): PlayView => {
    if (play && play.name === name) return play;
    play = { name, hosts: [], loc: '', tasks: [] };
    v.plays.push(play);
    return play;
  };
  const newTask = (name: string, module: string, t: number, extra: Partial<TaskView> = {}): TaskView => {
    const p = play ?? playOf('');
    const task: TaskView = { id: v.tasks.length, play: p.name, name, module, loc: '', handler: false, hosts: [], start: t, end: NaN, durationMs: null, results: [], progress: [], ...extra };
    v.tasks.push(task);
    p.tasks.push(task);
    return task;
  };
  /** the task an event names: the running one, else the latest of that name, else a new one (vars_files) */
  const taskOf = (name: string, t: number): TaskView => {
    if (current && current.name === name) return current;
    for (let i = v.tasks.length - 1; i >= 0; i--) if (v.tasks[i].name === name) return v.tasks[i];
    return newTask(name, '', t);
  };
  let first = NaN;
  /** --explain events wait for the result they explain (it follows them) */
  const explained = new Map<string, Explanation>();
  for (const raw of events) {
    if (!raw || typeof raw !== 'object') continue;
    const t = time(raw.ts);
    if (Number.isNaN(first) && !Number.isNaN(t)) first = t;
    if (!Number.isNaN(t)) v.end = Number.isNaN(v.end) ? t : Math.max(v.end, t);
    const ev = raw as RunEvent;
    switch (ev.kind) {
      case 'run_start':
        v.playbook = str(ev.playbook);
        v.inventory = str(ev.inventory);
        v.check = ev.check === true;
        v.diff = ev.diff === true;
        v.start = Number.isNaN(time(ev.time)) ? t : time(ev.time);
        break;
      case 'play_start': {
        play = { name: str(ev.play), hosts: strList(ev.hosts), loc: str(ev.loc), tasks: [] };
        v.plays.push(play);
        play.hosts.forEach(addHost);
        current = null;
        break;
      }
      case 'task_start': {
        playOf(str(ev.play));
        current = newTask(str(ev.task), str(ev.module), t, { loc: str(ev.loc), handler: ev.handler === true, hosts: strList(ev.hosts) });
        current.hosts.forEach(addHost);
        break;
      }
      case 'host_result': {
        const task = taskOf(str(ev.task), t);
        const ms = num(ev.durationMs);
        const r: ResultView = {
          id: v.results.length, task, host: str(ev.host), status: status(ev.status), reason: str(ev.reason),
          ...(ev.item !== undefined ? { item: str(ev.item) } : {}),
          ...(Array.isArray(ev.diff) && ev.diff.length ? { diff: ev.diff } : {}),
          ...(ev.data && typeof ev.data === 'object' ? { data: ev.data } : {}),
          ...(ev.output !== undefined ? { output: str(ev.output) } : {}),
          ...(explained.has(`${str(ev.task)}\0${str(ev.host)}`) ? { explain: explained.get(`${str(ev.task)}\0${str(ev.host)}`) } : {}),
          ignored: ev.ignored === true, check: ev.check === true, durationMs: ms, end: t, start: t - ms,
        };
        explained.delete(`${str(ev.task)}\0${str(ev.host)}`);
        addHost(r.host);
        if (!task.hosts.includes(r.host)) task.hosts.push(r.host);
        task.results.push(r);
        v.results.push(r);
        break;
      }
      case 'explain':
        if (ev.explain && typeof ev.explain === 'object') explained.set(`${str(ev.task)}\0${str(ev.host)}`, ev.explain);
        break;
      case 'task_end': {
        const task = taskOf(str(ev.task), t);
        task.durationMs = num(ev.durationMs);
        task.end = t;
        if (Number.isNaN(task.start)) task.start = t - task.durationMs;
        if (task === current) current = null;
        break;
      }
      case 'progress': {
        const task = taskOf(str(ev.task), t);
        task.progress.push({
          host: str(ev.host), t, text: str(ev.text),
          ...(typeof ev.fraction === 'number' ? { fraction: ev.fraction } : {}),
          ...(ev.metrics && typeof ev.metrics === 'object' ? { metrics: ev.metrics } : {}),
        });
        break;
      }
      case 'warning':
        v.warnings.push({ ...ev, t });
        break;
      case 'log':
        v.logs.push({ ...ev, t });
        break;
      case 'list':
        v.lists.push(ev);
        break;
      case 'error':
        v.errors.push({ ...ev, t });
        break;
      case 'recap':
        v.recap = ev.hosts && typeof ev.hosts === 'object' ? ev.hosts : null;
        for (const h of Object.keys(v.recap ?? {})) addHost(h);
        break;
      case 'run_end':
        v.exitCode = typeof ev.exitCode === 'number' ? ev.exitCode : null;
        v.durationMs = num(ev.durationMs);
        break;
      default: {
        const never: never = ev;
        v.unknown.push(str((never as { kind?: unknown }).kind));
      }
    }
  }
  if (Number.isNaN(v.start)) v.start = first;
  return v;
}

/** Events of a --report file (StampedEvent[]), checked for shape: anything else is left out. */
export function reportEvents(doc: unknown): StampedEvent[] | null {
  if (!doc || typeof doc !== 'object' || !Array.isArray((doc as { events?: unknown }).events)) return null;
  return ((doc as { events: unknown[] }).events).filter((e): e is StampedEvent => !!e && typeof e === 'object' && typeof (e as { kind?: unknown }).kind === 'string');
}

/** A status for a task on one host over its loop items: the worst one (failed > changed > ok > skipped). */
const SEVERITY: Record<HostStatus, number> = { skipped: 0, ok: 1, changed: 2, rescued: 3, ignored: 4, failed: 5, unreachable: 6 };
export function worst(results: readonly ResultView[]): HostStatus {
  return results.reduce<HostStatus>((a, r) => (SEVERITY[r.status] > SEVERITY[a] ? r.status : a), 'skipped');
}

/** The status shown for a result (a failure whose host went on is `ignored`). */
export function shownStatus(r: ResultView): HostStatus {
  return r.status === 'failed' && r.ignored ? 'ignored' : r.status;
}

/** The status of a task on one host over its results: the worst, `ignored` when every failure was ignored. */
export function worstShown(rs: readonly ResultView[]): HostStatus {
  const w = worst(rs);
  return w === 'failed' && rs.every((r) => r.status !== 'failed' || r.ignored) ? 'ignored' : w;
}
