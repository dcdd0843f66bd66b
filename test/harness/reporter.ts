/**
 * Test helpers for reporter consumers (engine/CLI tests) and the reporter's own tests:
 * a sample of every event kind, an in-memory stream, and a reporter that records events.
 */
import { Writable } from 'node:stream';
import type { EventKind, Reporter, RunEvent } from '../../src/report/events.js';

type Of<K extends EventKind> = Extract<RunEvent, { kind: K }>;

/** One or more samples per kind; the mapped type makes a missing kind a compile error. */
export function sampleEventsByKind(): { [K in EventKind]: Of<K>[] } {
  const counts = { ok: 3, changed: 1, unreachable: 0, failed: 0, skipped: 1, rescued: 0, ignored: 0 };
  return {
    run_start: [{ kind: 'run_start', playbook: 'site.yml', inventory: 'hosts.yml', check: false, diff: true, time: '2024-01-01T00:00:00.000Z' }],
    play_start: [{ kind: 'play_start', play: 'Prepare hypervisors', hosts: ['kvm1', 'kvm2'], loc: 'site.yml:1:3' }],
    task_start: [
      { kind: 'task_start', play: 'Prepare hypervisors', task: 'Export images', module: 'lineinfile', loc: 'site.yml:5:7', hosts: ['kvm1', 'kvm2'] },
    ],
    host_result: [
      { kind: 'host_result', task: 'Export images', host: 'kvm1', status: 'ok', reason: 'line present', durationMs: 12 },
      {
        kind: 'host_result',
        task: 'Export images',
        host: 'kvm2',
        status: 'changed',
        reason: '/etc/exports: line added',
        durationMs: 34,
        diff: [{ path: '/etc/exports', before: '/srv a\n', after: '/srv a\n/images kvm1(rw)\n' }],
        data: { changed: true, backup: '' },
      },
    ],
    explain: [
      {
        kind: 'explain',
        task: 'Export images',
        host: 'kvm2',
        explain: {
          checked: [{ cmd: 'ls -ld /etc/exports; cat /etc/exports', found: 'file 0644 root:root, 1 line, 7 bytes' }],
          runs: [
            { cmd: "cp -p /etc/exports /etc/exports.$(date +%Y%m%dT%H%M%S).kvplay~\ncat > /etc/exports <<'EOF'\n/srv a\n/images kvm1(rw)\nEOF\nchmod 0644 /etc/exports", why: 'write /etc/exports', rc: 0 },
            { cmd: 'exportfs -ra', why: 'exportfs -ra', rc: 0 },
          ],
          reason: '/etc/exports: line added',
          check: false,
        },
      },
    ],
    task_end: [{ kind: 'task_end', task: 'Export images', durationMs: 40 }],
    progress: [{ kind: 'progress', host: 'kvm1', task: 'Export images', text: 'copying disk', fraction: 0.5 }],
    warning: [{ kind: 'warning', msg: 'module defaults are deprecated', host: 'kvm1', loc: 'site.yml:5:7' }],
    log: [{ kind: 'log', level: 1, msg: 'ESTABLISH SSH CONNECTION', host: 'kvm1' }],
    list: [{ kind: 'list', what: 'hosts', play: 'Prepare hypervisors', items: ['kvm1', 'kvm2'] }],
    error: [{ kind: 'error', msg: "unknown module 'cpy'", loc: 'site.yml:9:7', hint: "did you mean 'copy'?" }],
    recap: [{ kind: 'recap', hosts: { kvm1: counts, kvm2: { ...counts, changed: 0, failed: 1 } } }],
    run_end: [{ kind: 'run_end', exitCode: 2, durationMs: 65_400 }],
  };
}

/** Every sample, in a plausible run order. */
export function sampleEvents(): RunEvent[] {
  const s = sampleEventsByKind();
  return [
    ...s.run_start, ...s.play_start, ...s.task_start, ...s.log, ...s.progress, ...s.explain, ...s.host_result, ...s.warning,
    ...s.task_end, ...s.list, ...s.error, ...s.recap, ...s.run_end,
  ];
}

export interface CaptureStream extends Writable {
  isTTY?: boolean;
  columns?: number;
  rows?: number;
  /** everything written so far */
  text(): string;
}

/** A writable collecting what is written; `tty: true` makes it look like a terminal. */
export function captureStream(opts: { tty?: boolean; columns?: number; rows?: number } = {}): CaptureStream {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  }) as CaptureStream;
  if (opts.tty) {
    w.isTTY = true;
    w.columns = opts.columns ?? 100;
    w.rows = opts.rows ?? 40;
  }
  // synchronous view of the content (Writable.write buffers only while a write is pending; ours never is)
  w.text = () => chunks.join('');
  return w;
}

/** Records events (for engine tests). */
export class MemoryReporter implements Reporter {
  readonly events: RunEvent[] = [];
  closed = false;
  emit(ev: RunEvent): void {
    this.events.push(ev);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  of<K extends EventKind>(kind: K): Of<K>[] {
    return this.events.filter((e): e is Of<K> => e.kind === kind);
  }
}
