/**
 * TTY renderer (the only importer of listr2): a live tree per task,
 *
 *   PLAY [migrate] ****            (static line)
 *   ✔ TASK [copy config] 1.4s
 *     ✔ kvm1 changed: /etc/exports: line added 1.2s
 *     ✖ kvm2 failed: permission denied 0.3s
 *   fatal: [kvm2]: FAILED! => permission denied ...   (full text, after the task finished)
 *
 * Bridge from the event stream to listr2's promise model: one Listr per task, one subtask per
 * host awaiting a deferred that `host_result` resolves; a hidden subtask keeps the task open until
 * `task_end`, which also resolves hosts that never reported. Everything printed outside the live
 * area goes through one promise chain, so it lands after the running task's tree. close() ends
 * the open task (if any) and awaits the chain.
 */
import { DefaultRenderer, Listr, ListrLogger, ProcessOutput, type ListrTask } from 'listr2';
import type { Reporter, RunEvent } from './events.js';
import {
  PlainFormatter,
  compactJson,
  explainLines,
  fmtDuration,
  hostResultLines,
  isFailure,
  progressText,
  statusPaint,
  statusWord,
  type Ev,
  type FormatOpts,
  type HostResult,
  type Lines,
} from './format.js';
import { writeLines, type StreamOpts } from './plain.js';

/** listr2 checks process.stdout.isTTY; we decide TTY-ness ourselves (our own stream). */
class KvplayRenderer extends DefaultRenderer {
  static nonTTY = true;
}

/**
 * A pseudo-terminal without a size (docker -t, `script` in CI) reports 0 columns: listr2 and
 * log-update would then wrap after every character. Give such streams a sane size.
 */
function ensureSize(stream: NodeJS.WritableStream): void {
  const s = stream as { isTTY?: boolean; columns?: number; rows?: number };
  if (s.isTTY !== true) return;
  if (!s.columns || s.columns < 20) s.columns = 80;
  if (!s.rows || s.rows < 5) s.rows = 24;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

type Outcome = { kind: 'ok' | 'skip' | 'fail'; title: string };

/** what we touch on a listr2 task wrapper */
interface Wrapper {
  title: string;
  output: string;
}

interface HostView {
  name: string;
  title: string;
  done: Deferred<Outcome>;
  settled: boolean;
  wrapper?: Wrapper;
  items: HostResult[];
  /** item lines shown under the host (replayed when the listr2 subtask starts late) */
  output: string[];
  progress?: string;
}

const ITEM_LINES = 5;

/** first line, cut to `max` characters (the full text is printed after the task) */
function short(text: string, max = 72): string {
  const first = String(text ?? '').split('\n')[0];
  return first.length > max ? first.slice(0, Math.max(1, max - 1)) + '…' : first;
}

/**
 * Room left for a reason on a host line. listr2's renderer wraps its lines at
 * process.stdout.columns whatever stream it writes to (the CLI gives it process.stdout): the
 * budget follows that width, read (never written) here.
 */
function reasonBudget(used: number): number {
  const cols = process.stdout.columns || 80;
  return Math.max(20, cols - 6 - used);
}

const SEVERITY: Record<string, number> = { skipped: 0, ok: 1, changed: 2, rescued: 3, ignored: 4, failed: 5, unreachable: 6 };

class TaskView {
  readonly hosts = new Map<string, HostView>();
  private readonly results: HostResult[] = [];
  private readonly extras: HostResult[] = [];
  /** --explain lines, printed under the task's tree when it is done */
  private readonly explained: string[] = [];
  private readonly ended = deferred<void>();
  private readonly started = Date.now();
  private root?: Wrapper;
  private timer?: ReturnType<typeof setInterval>;
  private finalTitle?: string;
  private isEnded = false;

  constructor(readonly ev: Ev<'task_start'>, private readonly s: StreamOpts, private readonly f: FormatOpts) {
    for (const h of Array.isArray(ev.hosts) ? ev.hosts : []) {
      if (!this.hosts.has(h)) this.hosts.set(h, { name: h, title: h, done: deferred(), settled: false, items: [], output: [] });
    }
  }

  private taskTitle(ms: number, final = false): string {
    const p = this.f.palette;
    const name = `${this.ev.handler ? 'RUNNING HANDLER' : 'TASK'} [${this.ev.task || this.ev.module}]`;
    const loc = this.f.verbosity >= 1 && this.ev.loc ? p.dim(` (${this.ev.loc})`) : '';
    return `${p.bold(name)}${loc} ${p.dim(final ? fmtDuration(ms) : `${Math.floor(ms / 1000)}s`)}`;
  }

  private setTitle(hv: HostView, title: string): void {
    hv.title = title;
    if (hv.wrapper) hv.wrapper.title = title;
  }

  private runningTitle(hv: HostView): string {
    const p = this.f.palette;
    const parts = [hv.name];
    if (hv.items.length > 0) {
      const last = hv.items[hv.items.length - 1];
      parts.push(p.dim(`${hv.items.length} item${hv.items.length > 1 ? 's' : ''}, last (item=${last.item}) ${last.status}`));
    }
    if (hv.progress) parts.push(p.verbose(hv.progress));
    return parts.join('  ');
  }

  private finalTitleFor(hv: HostView, ev: HostResult | null, ms: number): Outcome {
    const p = this.f.palette;
    if (!ev) return { kind: 'skip', title: `${hv.name} ${p.dim('no result')}` };
    const paint = statusPaint(ev.ignored && ev.status === 'failed' ? 'ignored' : ev.status, p);
    const showReason = ev.status !== 'ok' || this.f.verbosity >= 1;
    const items = hv.items.length > 0 ? ` (${hv.items.length} items)` : '';
    const dur = fmtDuration(ms);
    const budget = reasonBudget(hv.name.length + statusWord(ev).length + items.length + dur.length + 5);
    const text = ev.output !== undefined ? ev.output : showReason ? (typeof ev.reason === 'string' ? ev.reason : compactJson(ev.reason)) : '';
    const reason = text ? `: ${short(text, budget)}` : '';
    const title = `${hv.name} ${paint(statusWord(ev) + reason)}${p.dim(items)} ${p.dim(dur)}`;
    const kind = ev.status === 'skipped' ? 'skip' : (ev.status === 'failed' && !ev.ignored) || (ev.status === 'unreachable' && !ev.ignored) ? 'fail' : 'ok';
    return { kind, title };
  }

  private settle(hv: HostView, ev: HostResult | null): void {
    if (hv.settled) return;
    hv.settled = true;
    const ms = hv.items.reduce((a, r) => a + (Number(r.durationMs) || 0), 0) + (ev && ev.item === undefined ? Number(ev.durationMs) || 0 : 0);
    const outcome = this.finalTitleFor(hv, ev, ms);
    this.setTitle(hv, outcome.title);
    hv.done.resolve(outcome);
  }

  result(ev: HostResult): void {
    const hv = this.hosts.get(ev.host);
    if (!hv || hv.settled) {
      this.extras.push(ev);
      return;
    }
    this.results.push(ev);
    if (ev.item !== undefined && ev.item !== null) {
      hv.items.push(ev);
      const p = this.f.palette;
      const head = `${statusWord(ev)} (item=${ev.item})`;
      const line = statusPaint(ev.status, p)(`${head}${ev.status !== 'ok' && ev.reason ? `: ${short(ev.reason, reasonBudget(head.length + 4))}` : ''}`);
      hv.output.push(line);
      if (hv.wrapper) hv.wrapper.output = line;
      this.setTitle(hv, this.runningTitle(hv));
      return;
    }
    this.settle(hv, ev);
  }

  /** --explain for a host of this task: shown under the task's tree (a live line could not hold it) */
  explain(ev: Ev<'explain'>): void {
    this.explained.push(...explainLines(ev, this.f));
  }

  /** true when shown live */
  progress(ev: Ev<'progress'>): boolean {
    const hv = this.hosts.get(ev.host);
    if (!hv) return false;
    if (hv.settled) return true;
    hv.progress = progressText(ev, 20);
    this.setTitle(hv, this.runningTitle(hv));
    return true;
  }

  /** task_end (or close): resolve stragglers, fix the title, let the Listr finish */
  end(durationMs?: number): void {
    if (this.isEnded) return;
    this.isEnded = true;
    for (const hv of this.hosts.values()) {
      if (hv.settled) continue;
      // a loop without a final result: the worst item decides
      const worst = hv.items.reduce<HostResult | null>((a, b) => (!a || (SEVERITY[b.status] ?? 0) >= (SEVERITY[a.status] ?? 0) ? b : a), null);
      this.settle(hv, worst);
    }
    this.finalTitle = this.taskTitle(durationMs ?? Date.now() - this.started, true);
    if (this.root) this.root.title = this.finalTitle;
    if (this.timer) clearInterval(this.timer);
    this.ended.resolve();
  }

  private needsDump(ev: HostResult): boolean {
    return isFailure(ev) || !!ev.ignored || (Array.isArray(ev.diff) && ev.diff.length > 0) || (this.f.verbosity >= 2 && ev.data !== undefined);
  }

  async run(): Promise<void> {
    const hostTasks: ListrTask[] = [...this.hosts.values()].map((hv) => ({
      title: hv.title,
      rendererOptions: { outputBar: ITEM_LINES, persistentOutput: true },
      task: async (_ctx: unknown, t: Wrapper & { skip(msg?: string): void }) => {
        hv.wrapper = t;
        t.title = hv.title;
        for (const line of hv.output.slice(-ITEM_LINES)) t.output = line;
        const o = await hv.done.promise;
        t.title = o.title;
        if (o.kind === 'fail') throw new Error(o.title);
        if (o.kind === 'skip') t.skip(o.title);
      },
    }));
    // hidden (untitled) subtask: keeps the task open until task_end
    hostTasks.push({ task: () => this.ended.promise });
    ensureSize(this.s.out);
    // listr2's renderer wraps at process.stdout.columns whatever stream it writes to: that global is sized too (nothing is written to it)
    ensureSize(process.stdout);
    const logger = new ListrLogger({
      useIcons: true,
      toStderr: [],
      processOutput: new ProcessOutput(this.s.out as NodeJS.WriteStream, this.s.err as NodeJS.WriteStream, { leaveEmptyLine: false }),
    });
    const listr = new Listr(
      [
        {
          title: this.finalTitle ?? this.taskTitle(0),
          task: (_ctx: unknown, t) => {
            this.root = t;
            if (this.finalTitle) t.title = this.finalTitle;
            else {
              this.timer = setInterval(() => {
                if (!this.isEnded) t.title = this.taskTitle(Date.now() - this.started);
              }, 1000);
              this.timer.unref?.();
            }
            return t.newListr(hostTasks, { concurrent: true, exitOnError: false });
          },
        },
      ],
      {
        renderer: KvplayRenderer,
        rendererOptions: { logger, collapseSubtasks: false, collapseErrors: true, showErrorMessage: true, collapseSkips: true, showSkipMessage: true },
        fallbackRendererCondition: false,
        silentRendererCondition: false,
        exitOnError: false,
        registerSignalListeners: false,
        concurrent: false,
      },
    );
    try {
      await listr.run();
    } catch {
      // exitOnError is off; nothing to report here (failures are printed below)
    } finally {
      if (this.timer) clearInterval(this.timer);
    }
    const dump = [...this.results.filter((r) => this.needsDump(r)), ...this.extras].flatMap((r) => hostResultLines(r, this.f));
    writeLines({ out: [...this.explained, ...dump], err: [] }, this.s);
  }
}

export class TtyReporter implements Reporter {
  private readonly fmt: PlainFormatter;
  private chain: Promise<void> = Promise.resolve();
  private view: TaskView | null = null;
  private closed = false;

  constructor(private readonly s: StreamOpts, private readonly f: FormatOpts) {
    this.fmt = new PlainFormatter(f);
  }

  emit(ev: RunEvent): void {
    if (this.closed) return;
    switch (ev.kind) {
      case 'task_start': {
        this.view?.end();
        const view = new TaskView(ev, this.s, this.f);
        this.view = view;
        this.print({ out: [''], err: [] });
        this.enqueue(() => view.run());
        return;
      }
      case 'host_result':
        if (this.view) this.view.result(ev);
        else this.print(this.fmt.format(ev));
        return;
      case 'progress':
        if (!this.view?.progress(ev)) this.print(this.fmt.format(ev));
        return;
      case 'explain':
        if (this.view) this.view.explain(ev);
        else this.print(this.fmt.format(ev));
        return;
      case 'task_end':
        this.view?.end(ev.durationMs);
        this.view = null;
        return;
      default:
        this.print(this.fmt.format(ev));
    }
  }

  private print(lines: Lines): void {
    if (lines.out.length === 0 && lines.err.length === 0) return;
    this.enqueue(() => writeLines(lines, this.s));
  }

  private enqueue(fn: () => void | Promise<void>): void {
    this.chain = this.chain.then(fn).catch((e: unknown) => {
      try {
        this.s.err.write(`[reporter] ${(e as Error)?.message ?? String(e)}\n`);
      } catch {
        /* stream gone */
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.view?.end();
    this.view = null;
    await this.chain;
  }
}
