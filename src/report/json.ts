/**
 * --json: one JSON object per line on stdout, each RunEvent as is plus `ts` (ISO time).
 */
import type { Reporter, RunEvent } from './events.js';

export type StampedEvent = RunEvent & { ts: string };

/** JSON.stringify that never throws (cycles become "[Circular]", BigInt a string) */
export function safeJson(v: unknown, space?: number): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x), space) ?? 'null';
  } catch {
    const seen = new WeakSet<object>();
    return (
      JSON.stringify(
        v,
        (_k, x: unknown) => {
          if (typeof x === 'bigint') return x.toString();
          if (x !== null && typeof x === 'object') {
            if (seen.has(x)) return '[Circular]';
            seen.add(x);
          }
          return x;
        },
        space,
      ) ?? 'null'
    );
  }
}

export function stamp(ev: RunEvent, now: () => Date = () => new Date()): StampedEvent {
  return { ...ev, ts: now().toISOString() };
}

export class JsonReporter implements Reporter {
  private closed = false;

  constructor(private readonly out: NodeJS.WritableStream, private readonly now?: () => Date) {}

  emit(ev: RunEvent): void {
    if (this.closed) return;
    this.out.write(safeJson(stamp(ev, this.now)) + '\n');
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
