/**
 * Reporter factory: picks the renderer (listr2 tree on a TTY, plain lines otherwise, JSON lines
 * with --json), adds the --report file writer, and redacts every event before any of them sees it.
 */
import type { Reporter, RunEvent } from './events.js';
import { colorLevel, createPalette } from './color.js';
import type { FormatOpts } from './format.js';
import { PlainReporter } from './plain.js';
import { JsonReporter, safeJson } from './json.js';
import { ReportFileWriter } from './file.js';
import { dynamicRedactor } from './redact.js';

export { createRedactor, NO_LOG_RESULT, REDACTED } from './redact.js';
export type { Redactor } from './redact.js';
export { buildReport, REPORT_VERSION } from './file.js';
export type { ReportDocument } from './file.js';

export type ReporterMode = 'auto' | 'plain' | 'tty' | 'json';

export interface ReporterOptions {
  mode: ReporterMode;
  verbosity: 0 | 1 | 2 | 3;
  /** --diff given. Diffs are rendered whenever a host_result carries them (the engine attaches them
   *  only with --diff or a task-level `diff: true`), so this is informational. */
  diff: boolean;
  /** where the run is shown (the CLI passes process.stdout) */
  out: NodeJS.WritableStream;
  /** warnings and errors in plain/tty modes (the CLI passes process.stderr) */
  err: NodeJS.WritableStream;
  /** also write the whole run as one JSON document to this path at close (atomic) */
  reportFile?: string;
  /** also write the whole run as one self-contained HTML page to this path at close (atomic) */
  reportHtmlFile?: string;
  /** explicit --color / --no-color; undefined = NO_COLOR / FORCE_COLOR / TTY detection */
  color?: boolean;
  /** current secret values; every event is redacted with them before rendering */
  secrets?: () => string[];
  /** environment for color detection: NO_COLOR, FORCE_COLOR (the CLI passes process.env) */
  env: NodeJS.ProcessEnv;
}

/** The renderer mode `auto` resolves to for this stream. */
export function resolveMode(mode: ReporterMode, out: NodeJS.WritableStream): Exclude<ReporterMode, 'auto'> {
  if (mode !== 'auto') return mode;
  return (out as { isTTY?: boolean }).isTTY === true ? 'tty' : 'plain';
}

export function createReporter(opts: ReporterOptions): Reporter {
  const { out, err } = opts;
  const mode = resolveMode(opts.mode, out);
  const level = mode === 'json' ? 0 : colorLevel({ color: opts.color, stream: out, env: opts.env });
  const columns = (out as { columns?: number }).columns;
  const f: FormatOpts = {
    palette: createPalette(level),
    verbosity: opts.verbosity ?? 0,
    diff: !!opts.diff,
    width: mode === 'tty' && typeof columns === 'number' && columns > 20 ? Math.min(columns, 160) : 80,
  };
  const redact = opts.secrets ? dynamicRedactor(opts.secrets) : null;
  // second net: the rendered text is redacted again (the tty renderer owns its terminal: events only)
  const net = (s: NodeJS.WritableStream, fix: ((t: string) => string) | undefined) => (redact && fix ? redactingStream(s, fix) : s);
  // listr2 is loaded only when a terminal needs it (it costs start-up time otherwise)
  const main: Reporter =
    mode === 'json'
      ? new JsonReporter(net(out, redact?.json))
      : mode === 'tty'
        ? new Deferred(import('./tty.js').then(({ TtyReporter }) => new TtyReporter({ out, err }, f)))
        : new PlainReporter({ out: net(out, redact?.text), err: net(err, redact?.text) }, f);
  const sinks: Reporter[] = [main];
  if (opts.reportFile) sinks.push(new ReportFileWriter(opts.reportFile, undefined, redact?.json));
  // the HTML renderer is loaded only when a page is asked for (start-up time)
  const html = opts.reportHtmlFile;
  if (html) sinks.push(new Deferred(import('./html.js').then(({ HtmlReportWriter }) => new HtmlReportWriter(html, redact?.text))));
  return new FanOut(sinks, redact ?? ((v: unknown) => v), err);
}

/** A stream whose string writes go through `fix` first (everything else is the stream's own). */
function redactingStream(s: NodeJS.WritableStream, fix: (t: string) => string): NodeJS.WritableStream {
  return new Proxy(s, {
    get(target, k) {
      if (k === 'write') return (chunk: unknown, ...rest: unknown[]) => (target.write as (...a: unknown[]) => boolean)(typeof chunk === 'string' ? fix(chunk) : chunk, ...rest);
      const v: unknown = Reflect.get(target, k, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** A reporter whose implementation is still loading: events wait in order, then replay. */
class Deferred implements Reporter {
  private target: Reporter | null = null;
  private queue: RunEvent[] = [];
  private readonly ready: Promise<void>;

  constructor(load: Promise<Reporter>) {
    this.ready = load.then((r) => {
      this.target = r;
      for (const ev of this.queue) r.emit(ev);
      this.queue = [];
    });
  }

  emit(ev: RunEvent): void {
    if (this.target) this.target.emit(ev);
    else this.queue.push(ev);
  }

  async close(): Promise<void> {
    await this.ready;
    await this.target!.close();
  }
}

/** redact once, deliver to every sink; a failing sink never breaks the run */
class FanOut implements Reporter {
  private closing: Promise<void> | null = null;

  constructor(
    private readonly sinks: Reporter[],
    private readonly redact: (v: unknown) => unknown,
    private readonly err: NodeJS.WritableStream,
  ) {}

  emit(ev: RunEvent): void {
    if (this.closing) return;
    let safe: RunEvent;
    try {
      safe = this.redact(ev) as RunEvent;
    } catch (e) {
      // never print an event we could not redact
      try {
        this.err.write(`[reporter] dropped a ${String(ev?.kind)} event: redaction failed: ${(e as Error)?.message ?? e}\n`);
      } catch {
        /* stream gone */
      }
      return;
    }
    for (const s of this.sinks) {
      try {
        s.emit(safe);
      } catch (e) {
        try {
          this.err.write(`[reporter] could not render ${safe.kind}: ${(e as Error)?.message ?? e}; event: ${safeJson(safe)}\n`);
        } catch {
          /* stream gone */
        }
      }
    }
  }

  /** Closes every sink; rejects (after all closed) if one failed, e.g. the report file could not be written. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const results = await Promise.allSettled(this.sinks.map((s) => s.close()));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    })();
    return this.closing;
  }
}
