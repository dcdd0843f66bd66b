/**
 * Plain renderer: Ansible-like lines for CI logs and pipes. Warnings and errors go to `err`.
 */
import type { Reporter, RunEvent } from './events.js';
import { PlainFormatter, type FormatOpts, type Lines } from './format.js';

export interface StreamOpts {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

export function writeLines(lines: Lines, s: StreamOpts): void {
  if (lines.out.length > 0) s.out.write(lines.out.join('\n') + '\n');
  if (lines.err.length > 0) s.err.write(lines.err.join('\n') + '\n');
}

export class PlainReporter implements Reporter {
  private readonly fmt: PlainFormatter;
  private closed = false;

  constructor(private readonly s: StreamOpts, f: FormatOpts, now?: () => number) {
    this.fmt = new PlainFormatter(f, now);
  }

  emit(ev: RunEvent): void {
    if (this.closed) return;
    writeLines(this.fmt.format(ev), this.s);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
