/**
 * Async jobs of this run (`async:` with `poll: 0`): started by the engine (src/engine/async.ts),
 * read by the async_status module. A job is known by its host and its id, as Ansible's
 * ~/.ansible_async/JID on the host; here the job runs from the controller on its own connection.
 */

/** A finished job: the status and the result (what `register` of the task would have held). */
export interface JobResult {
  status: 'ok' | 'changed' | 'failed' | 'skipped';
  data: Record<string, unknown>;
}

interface Job {
  result?: JobResult;
}

const jobs = new Map<string, Job>();
const key = (host: string, jid: string) => `${host}\u0000${jid}`;

/** Ansible's job ids: j + digits . + the controller's pid. */
export function newJobId(): string {
  return `j${Math.floor(Math.random() * 1e12)}.${process.pid}`;
}

/** Where Ansible keeps a job's result on the host (shown as results_file). */
export const resultsFile = (jid: string) => `~/.ansible_async/${jid}`;

export function startJob(host: string, jid: string, work: Promise<JobResult>): void {
  const job: Job = {};
  jobs.set(key(host, jid), job);
  work.then(
    (r) => (job.result = r),
    (e: unknown) => (job.result = { status: 'failed', data: { failed: true, changed: false, msg: e instanceof Error ? e.message : String(e) } }),
  );
}

/** undefined: no such job on this host; { result: undefined }: still running. */
export function jobOf(host: string, jid: string): { result?: JobResult } | undefined {
  return jobs.get(key(host, jid));
}

export function dropJob(host: string, jid: string): boolean {
  return jobs.delete(key(host, jid));
}
