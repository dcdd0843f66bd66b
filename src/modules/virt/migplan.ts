/**
 * migrate's plan (pure): from where the guest is and the preflight probes (src/facts/virsh.ts, virt/migfacts.ts) to
 * ok ("already runs on the target"), a refusal (ModuleFailure: nothing moves, the reason and what
 * to do), or the steps of a live migration: work directory, max downtime, probe, and the migration
 * itself as a polling step (src/engine/steps.ts polls `virsh domjobinfo`, aborts it after the
 * timeout with `virsh domjobabort`). After it: the verdict from the location read again.
 */
import { q } from '../../util/quote.js';
import { randomToken } from '../../transport/framing.js';
import type { Plan, PlanCtx, PollSample, Step, StepResult } from '../../engine/module/types.js';
import { parseSections, sectionScript } from '../../facts/sections.js';
import type { MigrateParams } from '../migrate.js';
import { parseDomain } from './domxml.js';
import { diagnose, migrateArgs, startScript, type MigrateOptions } from './migcmd.js';
import { preflightOf, refuse, sshTrustError, type Probes } from './migfacts.js';
import { qemuSshUri } from './ops.js';
import { probeReport, probeStartCmd, probeText, probeWarmCmd, type ProbeReport } from './probe.js';
import { fmtBytes, jobFraction, jobMetrics, jobText } from './virsh.js';
import { ON, parseJobInfo, sshTo, virshError, type Location } from '../../facts/virsh.js';

export interface MigrateFacts {
  loc: Location;
  /** read only when the guest is here and up (needsPreflight) */
  probes?: Probes;
}

/** What these plans use of the plan context: the host they run on, and check mode. */
export type MigPlanCtx = Pick<PlanCtx, 'host' | 'check'>;

export function migrateOptions(p: MigrateParams): MigrateOptions {
  const cs = p.copy_storage === true ? 'all' : p.copy_storage === false || p.copy_storage === undefined ? undefined : p.copy_storage;
  return {
    name: p.name, uri: p.target_uri ?? qemuSshUri(p.target), persistent: p.persistent !== false, undefineSource: p.undefine_source !== false,
    autoConverge: !!p.auto_converge, postcopy: !!p.postcopy, compressed: !!p.compressed, bandwidth: p.bandwidth,
    copyStorage: cs, unsafe: !!p.unsafe, timeout: p.timeout, timeoutAction: p.timeout_action ?? 'abort',
  };
}

/** Does the plan need the preflight probes (the guest is here, up, and not already on the target)? */
export function needsPreflight(loc: Location): boolean {
  return !loc.error && loc.sshError === undefined && loc.here !== null && ON.includes(loc.here) && !!loc.xml;
}


/** The plan (see the header). Throws ModuleFailure for a refusal. `token` names the work directory. */
export function planMigrate(p: MigrateParams, f: MigrateFacts, ctx: MigPlanCtx, token = randomToken(6)): Plan {
  const src = ctx.host;
  const where = `${src} -> ${p.target}`;
  const st = f.loc;
  const guess = (why: string): Plan => ({ kind: 'change', reason: `would migrate ${p.name} live ${where} (check mode: ${why}; assuming earlier tasks of this run set it up)`, steps: [] });
  if (st.error) {
    if (ctx.check) return guess(st.error);
    throw refuse(st.error, { step: 'locate' });
  }
  if (ctx.check && st.there !== 'running' && (st.sshError !== undefined || st.here === null)) return guess(st.sshError !== undefined ? `no SSH trust to ${p.target} yet` : `${p.name} is not defined on ${src} yet`);
  if (st.sshError !== undefined) throw refuse(`preflight failed, nothing was moved: ${sshTrustError(src, p.target, st.sshError)}`, { step: 'preflight' });
  if (st.there === 'running' && (st.here === null || !ON.includes(st.here))) {
    return { kind: 'ok', reason: `${p.name} already runs on ${p.target}${st.here ? ` (${st.here} on ${src})` : ''}`, result: { name: p.name, source: src, target: p.target, migrated: false } };
  }
  if (st.here === null) throw refuse(`domain ${p.name} is not defined on ${src}${st.there ? ` (it is ${st.there} on ${p.target})` : ', nor on ' + p.target}`, { step: 'locate' });
  if (!ON.includes(st.here)) throw refuse(`${p.name} is ${st.here} on ${src}: live migration needs a running guest (use cold_migrate)`, { step: 'locate' });
  if (!st.xml || !f.probes) throw refuse(`cannot read the XML of ${p.name} on ${src}`, { step: 'locate' });
  const g = parseDomain(st.xml, `XML of ${p.name}`);
  const o = migrateOptions(p);
  const pf = preflightOf({ name: p.name, guest: g, source: src, target: p.target, opts: { mode: 'live', copyStorage: !!o.copyStorage, unsafe: o.unsafe } }, f.probes);
  const preflight = { errors: pf.errors, notes: pf.notes, shared_disks: pf.shared };
  if (pf.errors.length) throw refuse(`preflight failed, nothing was moved (${p.name} still ${st.here} on ${src}):\n  - ${pf.errors.join('\n  - ')}`, { step: 'preflight', preflight });
  const steps = liveSteps(p, o, src, `/tmp/kvplay-migrate-${token}`, st.here !== 'paused');
  return {
    kind: 'change',
    reason: `would migrate ${p.name} live ${where} (preflight passed${pf.notes.length ? `; ${pf.notes.join('; ')}` : ''})`,
    steps: steps.steps,
    cleanup: steps.cleanup,
    result: { preflight },
  };
}

/** The poll of a running migration: its end (the rc file) and the job's progress. */
export function pollCmd(name: string, dir: string): string {
  return sectionScript([['rc', `cat ${q(dir + '/rc')}`], ['job', `virsh domjobinfo ${q(name)}`]]);
}

export function parsePoll(stdout: string): PollSample {
  const s = parseSections(stdout);
  if (s.rc?.rc === 0) return { done: true };
  if (s.job?.rc === 0) {
    const j = parseJobInfo(s.job.out);
    if (j.type !== 'None' && Number.isFinite(j.dataTotal)) return { done: false, progress: { text: jobText(j), fraction: jobFraction(j), metrics: jobMetrics(j) } };
  }
  return { done: false };
}

/**
 * After the job: wait (at most 10 s) for the probe's first answer after the job's end, stop the
 * probe, print rc/log/t0/t1/ping; exit with the job's exit code.
 */
export function finishScript(dir: string, probe: boolean): string {
  const d = q(dir);
  const wait = probe
    ? [
        `t1=$(cat ${d}/t1 2>/dev/null || echo 0); i=0`,
        `while [ $i -lt 100 ]; do l=$(tail -n 1 ${d}/ping 2>/dev/null); case $l in *'bytes from'*) ts=\${l#\\[}; ts=\${ts%%]*}; awk -v a="$ts" -v b="$t1" 'BEGIN { exit !(a + 0 > b + 0) }' && break;; esac; sleep 0.1; i=$((i+1)); done`,
        `kill "$(cat ${d}/ping.pid 2>/dev/null)" 2>/dev/null`,
      ]
    : [];
  const parts: [string, string][] = [['rc', `cat ${d}/rc`], ['log', `cat ${d}/log`], ['t0', `cat ${d}/t0`], ['t1', `cat ${d}/t1`]];
  if (probe) parts.push(['ping', `cat ${d}/ping`]);
  return [...wait, `( ${sectionScript(parts)}\n)`, `rc=$(cat ${d}/rc 2>/dev/null); case $rc in ''|*[!0-9]*) exit 1;; esac; exit "$rc"`].join('\n');
}

/** What the migration step's result says: the job's exit code, log, times (host clock, seconds), probe output. */
export function finishOf(r: StepResult | undefined): { rc: number; log: string; t0: number; t1: number; ping?: string } | undefined {
  if (!r) return undefined;
  const s = parseSections(r.stdout);
  if (!s.rc) return undefined;
  const num = (x: string | undefined) => (x !== undefined && x.trim() !== '' ? Number(x.trim()) : NaN);
  return { rc: num(s.rc.out), log: s.log?.out ?? '', t0: num(s.t0?.out), t1: num(s.t1?.out), ...(s.ping ? { ping: s.ping.out } : {}) };
}

function liveSteps(p: MigrateParams, o: MigrateOptions, src: string, dir: string, mayResume: boolean): { steps: Step[]; cleanup: Step[] } {
  const n = q(p.name);
  const d = q(dir);
  const steps: Step[] = [{ desc: `work directory ${dir} on ${src}`, cmd: `mkdir -m 700 ${d}`, housekeeping: true, remedy: `/tmp on ${src} must be writable` }];
  if (p.max_downtime !== undefined) {
    steps.push({
      desc: `set the longest pause for the final switch to ${p.max_downtime} ms`,
      cmd: `virsh migrate-setmaxdowntime ${n} ${q(p.max_downtime)}`,
      housekeeping: true,
      failure: (r) => ({ error: virshError(r.stdout + r.stderr) }),
      remedy: 'check max_downtime (milliseconds, as virsh migrate-setmaxdowntime takes it)',
    });
  }
  if (o.copyStorage) {
    // libvirt creates the disk copies in the target's pools from its cached volume lists: refresh them
    steps.push({ desc: `refresh the storage pools on ${p.target}`, cmd: `${sshTo(p.target)} ${q('for p in $(virsh pool-list --name); do virsh pool-refresh "$p" >/dev/null; done; exit 0')}`, housekeeping: true, okCodes: [0, 255] });
  }
  const interval = p.probe_interval ?? 0.2;
  if (p.probe_address) {
    steps.push({
      desc: `probe ${p.probe_address} during the migration`,
      // two answers before the migration starts (the gap's baseline), at most 1 s: waited for on the host
      cmd: `${probeStartCmd(p.probe_address, interval, `${dir}/ping`)} > ${q(`${dir}/ping.pid`)}\n${probeWarmCmd(`${dir}/ping`, 2, 1)}`,
      explain: `ping -i ${interval} ${q(p.probe_address)}   # in the background, to measure the gap`,
      housekeeping: true,
    });
  }
  const abort = p.timeout !== undefined && (p.timeout_action ?? 'abort') === 'abort';
  steps.push({
    id: 'migrate',
    desc: `live migration ${src} -> ${p.target}`,
    cmd: startScript(o, dir),
    explain: `${migrateArgs(o).map(q).join(' ')}   # run detached; virsh domjobinfo ${n} polled for the progress${abort ? `; virsh domjobabort ${n} after ${p.timeout} s` : ''}`,
    poll: {
      cmd: pollCmd(p.name, dir),
      parse: (r) => parsePoll(r.stdout),
      intervalMs: Math.max(100, (p.poll_interval ?? 0.5) * 1000),
      ...(abort ? { timeoutMs: p.timeout! * 1000, abort: `virsh domjobabort ${n}` } : {}),
      finish: finishScript(dir, !!p.probe_address),
    },
    failure: (r) => {
      const fin = finishOf(r);
      if (!fin) return { at: 'start', error: `starting virsh migrate failed: ${(r.stderr || r.stdout).trim() || `exit code ${r.code}`}`, remedy: `see that virsh and setsid work on ${src}` };
      const dg = diagnose(fin.log, { timedOut: !!r.timedOut, target: p.target, source: src, autoConverge: o.autoConverge });
      return { at: dg.step, error: virshError(fin.log) || `virsh migrate exited with ${fin.rc}`, remedy: dg.hint };
    },
  });
  // whatever happened: stop the probe; a guest left paused here (and not running there) is resumed
  const resume = mayResume ? `if [ "$(virsh domstate ${n} 2>/dev/null)" = paused ] && [ "$(${sshTo(p.target)} virsh domstate ${n} 2>/dev/null)" != running ]; then virsh resume ${n}; fi\n` : '';
  const cleanup: Step[] = [{ desc: `stop the probe, remove ${dir}`, cmd: `[ -f ${d}/ping.pid ] && kill "$(cat ${d}/ping.pid)" 2>/dev/null\n${resume}rm -rf ${d}\nexit 0` }];
  return { steps, cleanup };
}

export interface Measured {
  wallS: number | null;
  probe?: ProbeReport;
}

/** The migration step's numbers: wall time (host clock) and the probe's report. */
export function measured(p: MigrateParams, results: StepResult[]): Measured {
  const r = results.find((x) => x.id === 'migrate');
  const fin = finishOf(r);
  if (!r || !fin) return { wallS: null };
  const wall = Number.isFinite(fin.t0) && Number.isFinite(fin.t1) ? fin.t1 - fin.t0 : r.startedAt !== undefined && r.endedAt !== undefined ? (r.endedAt - r.startedAt) / 1000 : NaN;
  const probe = p.probe_address && fin.ping !== undefined ? probeReport(p.probe_address, p.probe_interval ?? 0.2, fin.ping, { start: fin.t0, end: Number.isFinite(fin.t1) ? fin.t1 : fin.t0 }) : undefined;
  return { wallS: Number.isFinite(wall) ? Math.round(wall * 10) / 10 : null, ...(probe ? { probe } : {}) };
}

/** The verdict after the steps (Verify.judge): where the guest is now, and the task's text when it worked. */
export function judgeMigrate(p: MigrateParams, src: string, after: Location, results: StepResult[]): { error?: string; state: string; done?: string } {
  const where = `${src} -> ${p.target}`;
  const state =
    after.here === 'running' ? `${p.name} is still running on ${src}`
    : after.here === 'paused' && after.there !== 'running' ? `${p.name} is PAUSED on ${src} and could not be resumed (virsh resume ${p.name} there)`
    : `${p.name} is ${after.here ?? 'not defined'} on ${src} and ${after.there ?? 'not defined'} on ${p.target}: check both hosts`;
  if (after.there !== 'running') return { state, error: `live migration ${where}: virsh migrate ended but ${p.name} is ${after.there ?? 'not defined'} on ${p.target}; ${state}` };
  const m = measured(p, results);
  const job = after.job;
  const total = job && Number.isFinite(job.elapsedMs) ? job.elapsedMs : null;
  const downtime = job && Number.isFinite(job.downtimeMs) ? job.downtimeMs : null;
  const parts = [
    `${p.name} migrated live ${where} in ${m.wallS ?? '?'} s`,
    `libvirt: total ${total ?? '?'} ms, downtime ${downtime ?? '?'} ms${job ? `, ${fmtBytes(job.dataProcessed)} sent in ${job.iteration} passes` : ''}`,
    ...(m.probe ? [probeText(m.probe)] : []),
    `now running on ${p.target}, ${after.here ?? 'undefined'} on ${src}`,
  ];
  return { state, done: parts.join('; ') };
}

/** The registered values after the steps (Module.result): the numbers on success, the log on failure. */
export function migrateResult(p: MigrateParams, src: string, results: StepResult[], after: Location | undefined): Record<string, unknown> {
  if (!results.length || !after) return {};
  const r = results.find((x) => x.id === 'migrate');
  const fin = finishOf(r);
  const m = measured(p, results);
  const probe = m.probe ? { probe: m.probe } : {};
  if (!r || r.code !== 0 || after.there !== 'running') {
    return { ...(fin ? { log: fin.log.trim() } : {}), timed_out: !!r?.timedOut, ...probe, wall_time_s: m.wallS };
  }
  const job = after.job;
  const fin0 = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v : null);
  return {
    name: p.name, source: src, target: p.target, migrated: true,
    migration: {
      wall_time_s: m.wallS,
      total_time_ms: fin0(job?.elapsedMs),
      downtime_ms: fin0(job?.downtimeMs),
      data_total: job?.dataTotal ?? null,
      data_processed: job?.dataProcessed ?? null,
      bandwidth_bytes_s: job?.bandwidth ?? null,
      iterations: job?.iteration ?? null,
    },
    ...probe,
    source_state: after.here ?? 'undefined',
    target_state: 'running',
    options: migrateOptions(p),
  };
}
