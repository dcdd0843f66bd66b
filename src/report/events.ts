/**
 * Run events: a tagged union. Every renderer (plain, listr2 tty, json lines, report file)
 * handles every kind (a `switch` with an exhaustive `never` check).
 * Events never carry secrets: the engine redacts before emitting.
 */
import type { Explanation } from '../engine/module/types.js';

/** A textual before/after for --diff (rendered as a unified diff by the reporter). */
export interface Diff {
  path: string; // what is diffed, e.g. "/etc/exports" or "firewalld zone public"
  before: string;
  after: string;
}

export type HostStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable' | 'rescued' | 'ignored';

export interface Counts {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

export type RunEvent =
  | { kind: 'run_start'; playbook: string; inventory: string; check: boolean; diff: boolean; time: string }
  | { kind: 'play_start'; play: string; hosts: string[]; loc: string }
  | { kind: 'task_start'; play: string; task: string; module: string; loc: string; hosts: string[]; handler?: boolean }
  | {
      kind: 'host_result';
      task: string;
      host: string;
      status: HostStatus;
      /** why: the plan's reason ("/etc/exports: line added") or the error message */
      reason: string;
      item?: string; // loop item label
      diff?: Diff[];
      durationMs: number;
      /** registered data (redacted), only at -v and in JSON/report */
      data?: Record<string, unknown>;
      /** text shown at every verbosity (the debug module's message) */
      output?: string;
      /** set when the host continues although failed (ignore_errors) */
      ignored?: boolean;
      check?: boolean;
    }
  /**
   * --explain: what kvplay checked on the host and the commands it runs (or would run under
   * --check) as plain shell, and the plan's reason; emitted just before the host_result it explains.
   */
  | { kind: 'explain'; task: string; host: string; item?: string; explain: Explanation }
  | { kind: 'task_end'; task: string; durationMs: number }
  | { kind: 'progress'; host: string; task: string; text: string; fraction?: number; metrics?: ProgressMetrics }
  | { kind: 'warning'; msg: string; host?: string; loc?: string }
  /** `timing`: at -vvv, one remote command (or probe batch, or SSH connect) and its wall time (src/engine/timing.ts) */
  | { kind: 'log'; level: 1 | 2 | 3; msg: string; host?: string; timing?: CommandTiming }
  | { kind: 'list'; what: 'hosts' | 'tasks' | 'tags'; play: string; items: string[] }
  | { kind: 'error'; msg: string; loc?: string; hint?: string }
  | { kind: 'recap'; hosts: Record<string, Counts> }
  | { kind: 'run_end'; exitCode: number; durationMs: number };

export type EventKind = RunEvent['kind'];

/**
 * -vvv: what one remote round trip cost, measured by the engine around the transport call (the
 * wall time a task waited for it). `exec`: one command; `probe`: a batch of fact commands in one
 * round trip (`cmds` of them); `connect`: the SSH handshake and login shell. `cmd` is the command's
 * text (the batch's first command; none under no_log), `task` the task it ran for.
 */
export interface CommandTiming {
  what: 'exec' | 'probe' | 'connect';
  task: string;
  ms: number;
  /** exit code (exec; a probe's worst) */
  rc?: number;
  cmds?: number;
  cmd?: string;
  /** epoch ms when it started */
  at: number;
}

/**
 * The numbers behind a progress text, for charts (the HTML report's migration chart): a live
 * migration's `virsh domjobinfo` sample. All optional; bytes and milliseconds.
 */
export interface ProgressMetrics {
  remainingBytes?: number;
  totalBytes?: number;
  processedBytes?: number;
  bandwidthBytesPerS?: number;
  /** migration pass (libvirt's Iteration) */
  iteration?: number;
  /** time since the job started, as the job reports it */
  elapsedMs?: number;
  /** dirty pages per second */
  dirtyRate?: number;
}

export interface Reporter {
  emit(ev: RunEvent): void;
  /** flush and stop live rendering */
  close(): Promise<void>;
}

export function emptyCounts(): Counts {
  return { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
}
