/**
 * migrate: LIVE migration of a running guest from this host to `target`
 * (`virsh migrate --live --persistent --undefinesource NAME qemu+ssh://TARGET/system`).
 *
 *   1. where is it: running on the target and not on this host -> ok (idempotent)
 *   2. preflight (virt/preflight.ts), nothing moves unless all pass: SSH trust, libvirt on the
 *      target, no domain of that name there, arch/64-bit, CPU vendor, NX flag, the guest's CPU
 *      (hypervisor-cpu-compare), memory, bridges, networks, pools, disk/boot/log paths, shared
 *      storage really shared (a nonce file written here is looked for there). Check mode stops here.
 *   3. max_downtime set, the probe (background ping of probe_address) started, then
 *      `virsh migrate` DETACHED on this host; `virsh domjobinfo` polled for the progress bar
 *      (data remaining, rate, pass); after `timeout` seconds the job is aborted.
 *   4. after: the guest must run on the target and be gone (or shut off) here; libvirt's
 *      measured downtime and total time come from the target's completed job, the probe's
 *      longest gap from the ping log. On failure the guest is left (resumed if paused) on this
 *      host and the error names the failed step and the remedy.
 * Runs on the SOURCE host; the target is reached through root's SSH trust (as qemu+ssh is).
 */
import { q } from '../util/quote.js';
import type { ActionResult, Module, ModuleCtx } from './types.js';
import { bool, num, object, str, strEnum } from './util/schema.js';
import { parseDomain } from './virt/domxml.js';
import { diagnose, migrateArgs, startScript, type MigrateOptions } from './virt/migcmd.js';
import { explainLocation, explainPreflight } from './virt/explain.js';
import { qemuSshUri, sshTo } from './virt/ops.js';
import { locate, ON, run, runPreflight, sleep, sshTrustError, type RunCtx } from './virt/remote.js';
import { probeReport, probeStartCmd, probeText, probeWarmCmd, type ProbeReport } from './virt/probe.js';
import { fmtBytes, jobFraction, jobMetrics, jobText, parseJobInfo, sectionScript, sectionsOf, virsh, virshError } from './virt/virsh.js';

export interface MigrateParams {
  name: string;
  target: string;
  target_uri?: string;
  persistent?: boolean;
  undefine_source?: boolean;
  auto_converge?: boolean;
  postcopy?: boolean;
  compressed?: boolean;
  max_downtime?: number;
  bandwidth?: number;
  timeout?: number;
  timeout_action?: 'abort' | 'suspend' | 'postcopy';
  copy_storage?: boolean | 'all' | 'inc';
  unsafe?: boolean;
  probe_address?: string;
  probe_interval?: number;
  poll_interval?: number;
}

function fail(msg: string, data: Record<string, unknown> = {}): ActionResult {
  return { changed: false, failed: true, msg, data };
}

async function completedJob(c: RunCtx, p: MigrateParams, uri: string) {
  const r = await run(c, `${virsh(uri)} domjobinfo ${q(p.name)} --completed`);
  return r.code === 0 ? parseJobInfo(r.stdout) : undefined;
}

async function finishProbe(c: RunCtx, dir: string, pid: string | undefined, p: MigrateParams, window: { start: number; end: number }): Promise<ProbeReport | undefined> {
  if (!pid || !p.probe_address) return undefined;
  // give the guest a few seconds to answer from its new place, then stop the ping (by its PID)
  for (let i = 0; i < 20; i++) {
    const r = await run(c, `tail -n 1 ${q(dir + '/ping')}`);
    const m = /^\[(\d+(?:\.\d+)?)\].*bytes from/.exec(r.stdout.trim());
    if (m && Number(m[1]) > window.end) break;
    await sleep(500);
  }
  await run(c, `kill ${q(pid)} 2>/dev/null; exit 0`);
  const r = await run(c, `cat ${q(dir + '/ping')}`);
  return probeReport(p.probe_address, p.probe_interval ?? 0.2, r.stdout, window);
}

function options(p: MigrateParams, uri: string): MigrateOptions {
  const cs = p.copy_storage === true ? 'all' : p.copy_storage === false || p.copy_storage === undefined ? undefined : p.copy_storage;
  return {
    name: p.name, uri, persistent: p.persistent !== false, undefineSource: p.undefine_source !== false,
    autoConverge: !!p.auto_converge, postcopy: !!p.postcopy, compressed: !!p.compressed, bandwidth: p.bandwidth,
    copyStorage: cs, unsafe: !!p.unsafe, timeout: p.timeout, timeoutAction: p.timeout_action ?? 'abort',
  };
}

async function migrateAction(p: MigrateParams, ctx: ModuleCtx): Promise<ActionResult> {
  const c: RunCtx = { t: ctx.transport, become: ctx.become };
  const uri = p.target_uri ?? qemuSshUri(p.target);
  const src = ctx.host;
  const where = `${src} -> ${p.target}`;
  // 1. where is the guest
  const guess = (why: string): ActionResult => ({ changed: true, msg: `would migrate ${p.name} live ${where} (check mode: ${why}; assuming earlier tasks of this run set it up)` });
  let st;
  try {
    st = await locate(c, p.name, p.target);
  } catch (e) {
    if (ctx.check) return guess((e as Error).message);
    throw e;
  }
  explainLocation(ctx.explain, p.name, p.target, st);
  if (ctx.check && st.there !== 'running' && (st.sshError !== undefined || st.here === null)) return guess(st.sshError !== undefined ? `no SSH trust to ${p.target} yet` : `${p.name} is not defined on ${src} yet`);
  if (st.sshError !== undefined) return fail(`preflight failed, nothing was moved: ${sshTrustError(src, p.target, st.sshError)}`, { step: 'preflight' });
  if (st.there === 'running' && (st.here === null || !ON.includes(st.here))) {
    return { changed: false, msg: `${p.name} already runs on ${p.target}${st.here ? ` (${st.here} on ${src})` : ''}`, data: { name: p.name, source: src, target: p.target, migrated: false } };
  }
  if (st.here === null) return fail(`domain ${p.name} is not defined on ${src}${st.there ? ` (it is ${st.there} on ${p.target})` : ', nor on ' + p.target}`, { step: 'locate' });
  if (!ON.includes(st.here)) return fail(`${p.name} is ${st.here} on ${src}: live migration needs a running guest (use cold_migrate)`, { step: 'locate' });
  if (!st.xml) return fail(`cannot read the XML of ${p.name} on ${src}`, { step: 'locate' });
  const g = parseDomain(st.xml, `XML of ${p.name}`);
  const o = options(p, uri);
  // 2. preflight
  ctx.progress(`preflight ${where}`, 0);
  const pf = await runPreflight(c, p.name, g, src, p.target, { mode: 'live', copyStorage: !!o.copyStorage, unsafe: o.unsafe });
  const pfData = { errors: pf.errors, notes: pf.notes, shared_disks: pf.shared };
  explainPreflight(ctx.explain, p.name, p.target, pf, true);
  // --explain: the commands of the migration itself (with their exit code once they ran)
  const told = (rc?: number) => {
    if (p.max_downtime !== undefined) ctx.explain?.run(`virsh migrate-setmaxdowntime ${q(p.name)} ${q(p.max_downtime)}`, 'the longest pause allowed for the final switch (ms)');
    if (p.probe_address) ctx.explain?.run(`ping -i ${p.probe_interval ?? 0.2} ${q(p.probe_address)}   # in the background, to measure the gap`, 'probe the guest during the migration');
    ctx.explain?.run(migrateArgs(o).map(q).join(' '), `the live migration (kvplay runs it detached and polls virsh domjobinfo ${p.name} for the progress)`, rc);
  };
  if (pf.errors.length) {
    return fail(`preflight failed, nothing was moved (${p.name} still ${st.here} on ${src}):\n  - ${pf.errors.join('\n  - ')}`, { step: 'preflight', preflight: pfData });
  }
  if (ctx.check) told();
  if (ctx.check) return { changed: true, msg: `would migrate ${p.name} live ${where} (preflight passed${pf.notes.length ? `; ${pf.notes.join('; ')}` : ''})`, data: { preflight: pfData } };
  // 3. run it
  const mk = await run(c, 'mktemp -d /tmp/kvplay-migrate-XXXXXX');
  if (mk.code !== 0) return fail(`cannot create a work directory on ${src}: ${mk.stderr.trim()}`, { step: 'prepare' });
  const dir = mk.stdout.trim();
  try {
    if (p.max_downtime !== undefined) {
      const r = await run(c, `virsh migrate-setmaxdowntime ${q(p.name)} ${q(p.max_downtime)}`);
      if (r.code !== 0) return fail(`setting max_downtime failed: ${virshError(r.stdout + r.stderr)}`, { step: 'prepare' });
    }
    if (o.copyStorage) {
      // libvirt creates the disk copies in the target's pools from its cached volume lists: refresh them
      await run(c, `${sshTo(p.target)} ${q('for p in $(virsh pool-list --name); do virsh pool-refresh "$p" >/dev/null; done; exit 0')}`);
    }
    let probePid: string | undefined;
    if (p.probe_address) {
      const r = await run(c, probeStartCmd(p.probe_address, p.probe_interval ?? 0.2, `${dir}/ping`));
      probePid = /^\d+$/.test(r.stdout.trim()) ? r.stdout.trim() : undefined;
      // two answers before the migration starts (the gap's baseline), at most 1 s: waited for on the host
      await run(c, probeWarmCmd(`${dir}/ping`, 2, 1));
    }
    const t0 = Date.now();
    const sr = await run(c, startScript(o, dir));
    const start = Number(/t0=([\d.]+)/.exec(sr.stdout)?.[1] ?? NaN);
    if (sr.code !== 0 || !/pid=\d+/.test(sr.stdout)) return fail(`starting virsh migrate failed: ${sr.stderr.trim()}`, { step: 'start' });
    const pollMs = Math.max(100, (p.poll_interval ?? 0.5) * 1000);
    let timedOut = false;
    let last = '';
    for (;;) {
      const r = await run(c, sectionScript([['rc', `cat ${q(dir + '/rc')}`], ['job', `virsh domjobinfo ${q(p.name)}`]]));
      const s = sectionsOf(r, 'migration progress');
      if (s.rc.rc === 0) break;
      if (s.job.rc === 0) {
        const j = parseJobInfo(s.job.out);
        if (j.type !== 'None' && Number.isFinite(j.dataTotal)) {
          last = jobText(j);
          ctx.progress(`migrating ${p.name} ${where}: ${last}`, jobFraction(j), jobMetrics(j));
        }
      }
      if (!timedOut && p.timeout !== undefined && (p.timeout_action ?? 'abort') === 'abort' && Date.now() - t0 > p.timeout * 1000) {
        timedOut = true;
        ctx.log(`migrate: ${p.timeout}s elapsed, aborting the job`);
        await run(c, `virsh domjobabort ${q(p.name)}`);
      }
      await sleep(pollMs);
    }
    const wallS = Math.round((Date.now() - t0) / 100) / 10;
    const fin = sectionsOf(await run(c, sectionScript([['rc', `cat ${q(dir + '/rc')}`], ['log', `cat ${q(dir + '/log')}`], ['t1', `cat ${q(dir + '/t1')}`]])), 'migration result');
    const rc = Number(fin.rc.out.trim());
    told(rc);
    const end = Number(fin.t1.out.trim()) || start;
    const probe = await finishProbe(c, dir, probePid, p, { start, end });
    // 4. after
    const after = await locate(c, p.name, p.target);
    if (rc !== 0 || after.there !== 'running') {
      let stateNote: string;
      if (after.here === 'paused' && after.there !== 'running') {
        const rr = await run(c, `virsh resume ${q(p.name)}`);
        stateNote = rr.code === 0 ? `${p.name} was paused on ${src} and has been resumed there` : `${p.name} is PAUSED on ${src} and could not be resumed: ${virshError(rr.stdout + rr.stderr)}`;
      } else if (after.here === 'running') stateNote = `${p.name} is still running on ${src}`;
      else stateNote = `${p.name} is ${after.here ?? 'not defined'} on ${src} and ${after.there ?? 'not defined'} on ${p.target}: check both hosts`;
      const d = diagnose(fin.log.out, { timedOut, target: p.target, source: src, autoConverge: o.autoConverge });
      const err = virshError(fin.log.out) || `virsh migrate exited with ${rc}`;
      return fail(`live migration ${where} failed at: ${d.step}: ${err}. ${stateNote}. What to do: ${d.hint}${last ? ` (last progress: ${last})` : ''}`, {
        step: d.step, rc, log: fin.log.out.trim(), timed_out: timedOut, preflight: pfData, ...(probe ? { probe } : {}), wall_time_s: wallS,
      });
    }
    const job = await completedJob(c, p, uri);
    const downtime = job && Number.isFinite(job.downtimeMs) ? job.downtimeMs : null;
    const total = job && Number.isFinite(job.elapsedMs) ? job.elapsedMs : null;
    const sourceState = after.here ?? 'undefined';
    const migration = {
      wall_time_s: wallS,
      total_time_ms: total,
      downtime_ms: downtime,
      data_total: job?.dataTotal ?? null,
      data_processed: job?.dataProcessed ?? null,
      bandwidth_bytes_s: job?.bandwidth ?? null,
      iterations: job?.iteration ?? null,
    };
    const parts = [
      `${p.name} migrated live ${where} in ${wallS} s`,
      `libvirt: total ${total ?? '?'} ms, downtime ${downtime ?? '?'} ms${job ? `, ${fmtBytes(job.dataProcessed)} sent in ${job.iteration} passes` : ''}`,
      ...(probe ? [probeText(probe)] : []),
      `now running on ${p.target}, ${sourceState === 'undefined' ? 'undefined' : sourceState} on ${src}`,
    ];
    return {
      changed: true,
      msg: parts.join('; '),
      data: { name: p.name, source: src, target: p.target, migrated: true, migration, ...(probe ? { probe } : {}), source_state: sourceState, target_state: 'running', preflight: pfData, options: o },
    };
  } finally {
    await run(c, `rm -rf ${q(dir)}`);
  }
}

export const migrate: Module<MigrateParams> = {
  name: 'migrate',
  doc: 'Live-migrate a running guest from this host to target over qemu+ssh, after a preflight; progress bar, measured downtime and probe gap; idempotent.',
  schema: object(
    {
      name: str('Domain name.'),
      target: str('Target KVM host, as root on this host reaches it by SSH (e.g. kvm2).'),
      target_uri: str('libvirt URI of the target (default qemu+ssh://TARGET/system).'),
      persistent: bool('Define the guest on the target (--persistent). Default true.', true),
      undefine_source: bool('Undefine it on this host afterwards (--undefinesource). Default true; false leaves it shut off here.', true),
      auto_converge: bool('Throttle the guest\'s vCPUs when memory copying does not converge (--auto-converge).', false),
      postcopy: bool('Switch to post-copy after the first pass (--postcopy --postcopy-after-precopy): always converges, but a network failure then loses the guest.', false),
      compressed: bool('Compress repeated memory pages (--compressed, XBZRLE).', false),
      max_downtime: num('Longest pause allowed for the final switch, in ms (virsh migrate-setmaxdowntime; QEMU default 300).', { minimum: 1 }),
      bandwidth: num('Bandwidth limit in MiB/s (--bandwidth).', { minimum: 1 }),
      timeout: num('Seconds before timeout_action is taken (default: none).', { minimum: 1 }),
      timeout_action: strEnum(['abort', 'suspend', 'postcopy'], 'abort (default: cancel the job, the guest stays on this host), suspend (pause the guest to finish: --timeout-suspend), postcopy (--timeout-postcopy, needs postcopy).'),
      copy_storage: { type: ['boolean', 'string'], enum: [true, false, 'all', 'inc'], description: 'Copy non-shared disks too (true/all: --copy-storage-all, inc: --copy-storage-inc). The target needs the same pool path.' },
      unsafe: bool('Pass --unsafe: ONLY where libvirt cannot see that the storage is shared (the lab\'s sshfs share); the preflight checks it really is.', false),
      probe_address: str("The guest's address: pinged from this host during the migration to measure the gap."),
      probe_interval: num('Seconds between probe pings (default 0.2).', { minimum: 0.01 }),
      poll_interval: num('Seconds between progress polls (default 0.5).', { minimum: 0.1 }),
    },
    { required: ['name', 'target'] },
  ),
  action: migrateAction,
};
