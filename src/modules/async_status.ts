/** async_status: the state of a job started with `async:` and `poll: 0` (src/engine/asyncjobs.ts). */
import type { Module } from '../engine/module/types.js';
import { object, str, strEnum, type Static } from '../engine/module/schema.js';
import { dropJob, jobOf, resultsFile } from '../engine/asyncjobs.js';

export type AsyncStatusParams = Static<typeof schema>;

const schema = object({
  jid: str('The job id: the ansible_job_id the async task registered.'),
  mode: strEnum(['status', 'cleanup'], "'status' (default) or 'cleanup'."),
}, { required: ['jid'] });

export const async_status: Module<AsyncStatusParams> = {
  name: 'async_status',
  doc: 'The state of an async job (a task with async: and poll: 0) of this run: finished 0 while it runs; when it ended, its result (rc, stdout, ...) with finished 1, failed if the job failed. mode cleanup forgets the job.',
  schema,
  readOnly: true,
  async action(p, ctx) {
    const ids = { ansible_job_id: p.jid, results_file: resultsFile(p.jid), started: 1 };
    if (p.mode === 'cleanup') {
      dropJob(ctx.host, p.jid);
      return { changed: false, data: { ansible_job_id: p.jid, erased: resultsFile(p.jid) } };
    }
    const job = jobOf(ctx.host, p.jid);
    if (!job) return { changed: false, failed: true, msg: 'could not find job', data: { ...ids, finished: 1 } };
    if (!job.result) return { changed: false, data: { ...ids, finished: 0 } };
    const { changed, failed: _failed, msg, ...rest } = job.result.data;
    return {
      changed: changed === true,
      ...(job.result.status === 'failed' ? { failed: true } : {}),
      ...(msg !== undefined ? { msg: String(msg) } : {}),
      data: { ...rest, ...ids, finished: 1 },
    };
  },
};
