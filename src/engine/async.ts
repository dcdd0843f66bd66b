/**
 * `async:` and `poll:`, as Ansible: with poll > 0 the task runs and is waited for (at most `async`
 * seconds, else it fails); with poll: 0 it is fire-and-forget: the module runs in the background on
 * a connection of its own and the task registers {ansible_job_id, started: 1, finished: 0}; the
 * async_status module reads the job's state (src/engine/asyncjobs.ts). async: 0 is no async.
 * A looped task runs its items as usual (waited for).
 */
import { renderDeep, markUnsafe } from '../template/index.js';
import { runtimeInt } from '../playbook/schema.js';
import type { ModuleTask, Vars } from '../playbook/model.js';
import { newJobId, resultsFile, startJob, type JobResult } from './asyncjobs.js';
import type { Transport } from '../transport/types.js';
import { NO_LOG_RESULT } from '../report/redact.js';
import type { HostState, RunState } from './state.js';
import { execContext, ownTransport, type ExecContext, type Inh } from './context.js';
import { condsHold, errText, runModuleTask, type ItemResult } from './task.js';
import type { PlayRun } from './playrun.js';

export async function runAsync(run: RunState, pr: PlayRun, t: ModuleTask, h: HostState, ec: ExecContext, vars: Vars, inh: Inh): Promise<ItemResult> {
  const secs = runtimeInt(renderDeep(t.async, vars, t.loc), 'async', t.loc);
  const poll = t.poll === undefined ? 10 : runtimeInt(renderDeep(t.poll, vars, t.loc), 'poll', t.loc);
  if (secs <= 0 || t.loop !== undefined) return runModuleTask(run, pr.play, t, h, ec, vars);
  const jid = newJobId();
  const ids = { ansible_job_id: jid, results_file: resultsFile(jid), started: 1 };
  if (poll > 0) return waitFor(run, pr, t, h, ec, vars, secs, ids);
  if (!condsHold([...ec.when, ...t.when], vars)) return runModuleTask(run, pr.play, t, h, ec, vars); // skipped, as usual
  // fire and forget: the module runs on its own connection, quietly; async_status tells how it ended
  let conn: Transport | undefined;
  const quiet: RunState = { ...run, reporter: { emit: () => undefined, close: async () => undefined } };
  const job = { ...t, register: undefined, notify: [], async: undefined, poll: undefined };
  const jec = execContext(run, pr.play, h, t, inh, vars, async () => (conn ??= await ownTransport(run, h, vars)));
  startJob(h.name, jid, runModuleTask(quiet, pr.play, job, h, jec, vars)
    .then((r): JobResult => ({ status: r.status === 'ok' || r.status === 'changed' || r.status === 'skipped' ? r.status : 'failed', data: r.data }))
    .catch((e: unknown): JobResult => ({ status: 'failed', data: { failed: true, changed: false, msg: errText(e) } }))
    .finally(() => conn?.close().catch(() => undefined)));
  const data = { ...ids, changed: true, failed: 0, finished: 0 };
  if (t.register) h.hostFacts[t.register] = markUnsafe(data);
  run.reporter.emit({ kind: 'host_result', task: t.name, host: h.name, status: 'changed', reason: `started async job ${jid}`, durationMs: 0, data: ec.noLog ? { censored: NO_LOG_RESULT } : data });
  return { status: 'changed', reason: `started async job ${jid}`, data };
}

/** poll > 0: the task runs and is waited for, at most `secs` seconds. */
async function waitFor(run: RunState, pr: PlayRun, t: ModuleTask, h: HostState, ec: ExecContext, vars: Vars, secs: number, ids: Vars): Promise<ItemResult> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((res) => (timer = setTimeout(() => res('late'), secs * 1000)));
  try {
    const r = await Promise.race([runModuleTask(run, pr.play, t, h, ec, vars), late]);
    if (r === 'late') {
      const msg = `async task did not complete within the requested time - ${secs}s`;
      const data = { ...ids, failed: true, changed: false, finished: 0, msg };
      if (t.register) h.hostFacts[t.register] = markUnsafe(data);
      const ignored = ec.ignoreErrors;
      run.reporter.emit({ kind: 'host_result', task: t.name, host: h.name, status: 'failed', reason: msg, durationMs: secs * 1000, ...(ignored ? { ignored: true } : {}) });
      return { status: 'failed', reason: msg, data, ...(ignored ? { ignored: true } : {}) };
    }
    if (t.register && r.status !== 'skipped') h.hostFacts[t.register] = markUnsafe({ ...(h.hostFacts[t.register] as Vars), ...ids, finished: 1 });
    return r;
  } finally {
    clearTimeout(timer);
  }
}
