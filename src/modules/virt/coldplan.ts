/**
 * cold_migrate's plan (pure): from where the guest is and the preflight probes (src/facts/virsh.ts, virt/migfacts.ts)
 * to ok ("already on the target"), a refusal (ModuleFailure: nothing moves), starting it where it
 * already is, or the steps of the procedure's cold migration: shut down (graceful, forced after
 * the timeout), copy each disk not on shared storage (a polling step: the copy's size on the
 * target is the progress), define on the target, undefine here, start there. After it: the
 * verdict from the location and `virsh list --all` on both hosts.
 */
import { q } from '../../util/quote.js';
import { randomToken } from '../../transport/framing.js';
import type { Plan, PollSample, Step, StepResult } from '../../engine/module/types.js';
import type { ColdParams } from '../cold_migrate.js';
import { parseDomain } from './domxml.js';
import { shutdownExplain } from './explain.js';
import { preflightOf, refuse, sshTrustError, type Probes } from './migfacts.js';
import type { MigPlanCtx } from './migplan.js';
import { shutdownScript } from './ops.js';
import { fmtBytes } from './virsh.js';
import { ON, sshTo, virshError, type Location } from '../../facts/virsh.js';

export interface ColdFacts {
  loc: Location;
  probes?: Probes;
}

/** Does the plan need the preflight probes (the guest is defined here)? */
export function coldNeedsPreflight(loc: Location): boolean {
  return !loc.error && loc.sshError === undefined && loc.here !== null && !!loc.xml;
}

const virshFailure = (r: StepResult) => ({ error: virshError(r.stdout + r.stderr) });

/** Copy one disk to the same path on the target (detached; the copy appears atomically): start, poll, finish. */
export function copyStep(name: string, src: string, path: string, target: string, dir: string, index: number, count: number): Step {
  const part = `${path}.kvplay-part`;
  const d = q(dir);
  const remote = `cat > ${q(part)} && mv -f ${q(part)} ${q(path)}`;
  return {
    id: `copy:${path}`,
    desc: `copy disk ${index + 1}/${count} ${path} to ${target}`,
    cmd: `mkdir -m 700 ${d} || exit 1\nsetsid sh -c ${q(`dd if=${q(path)} bs=4M status=none | ${sshTo(target)} ${q(remote)}; echo $? > "$1/rc"`)} sh ${d} > /dev/null 2>&1 < /dev/null &`,
    explain: `dd if=${q(path)} bs=4M | ssh root@${q(target)} "cat > ${q(path)}"`,
    poll: {
      cmd: `cat ${d}/rc 2>/dev/null && exit 0; echo running; stat -c %s ${q(path)}; ${sshTo(target)} stat -c %s ${q(part)} 2>/dev/null; exit 0`,
      parse: (r) => parseCopyPoll(r.stdout, index, count),
      intervalMs: 500,
      finish: `rc=$(cat ${d}/rc 2>/dev/null); rm -rf ${d}\ncase $rc in ''|*[!0-9]*) echo 'the copy did not finish' >&2; exit 1;; esac\n[ "$rc" = 0 ] || echo "dd | ssh exited with $rc" >&2\nexit "$rc"`,
    },
    failure: (r) => ({ error: `copying ${path} to ${target} failed (${(r.stderr || r.stdout).trim().split('\n').pop() || `rc ${r.code}`})` }),
    remedy: `fix it and re-run, or start it again on ${src} (virsh start ${name})`,
  };
}

export function parseCopyPoll(stdout: string, index: number, count: number): PollSample {
  const lines = stdout.trim().split('\n');
  if (lines[0] !== 'running') return { done: true };
  const size = Number(lines[1]);
  const done = Number(lines[2] ?? 0) || 0;
  return { done: false, progress: { text: `${fmtBytes(done)} of ${fmtBytes(size)}`, ...(size > 0 ? { fraction: (index + Math.min(1, done / size)) / count } : {}) } };
}

/** The plan (see the header). Throws ModuleFailure for a refusal. */
export function planCold(p: ColdParams, f: ColdFacts, ctx: MigPlanCtx, token = randomToken(6)): Plan {
  const src = ctx.host;
  const T = p.target;
  const n = q(p.name);
  const start = p.start !== false;
  const loc = f.loc;
  const guess = (why: string): Plan => ({ kind: 'change', reason: `would move ${p.name} cold ${src} -> ${T} (check mode: ${why}; assuming earlier tasks of this run set it up)`, steps: [] });
  if (loc.error) {
    if (ctx.check) return guess(loc.error);
    throw refuse(loc.error, { step: 'locate' });
  }
  if (ctx.check && loc.sshError !== undefined) return guess(`no SSH trust to ${T} yet`);
  if (loc.sshError !== undefined) throw refuse(`preflight failed, nothing was moved: ${sshTrustError(src, T, loc.sshError)}`, { step: 'preflight' });
  const startThere: Step = { id: 'start', desc: `start ${p.name} on ${T}`, cmd: `${sshTo(T)} virsh start ${n}`, explain: `ssh root@${q(T)} virsh start ${n}`, progress: 0.9, failure: virshFailure, remedy: `see why it does not start there (virsh start ${p.name} on ${T}; /var/log/libvirt/qemu/${p.name}.log)` };
  if (loc.here === null) {
    if (loc.there === undefined || loc.there === null) throw refuse(`domain ${p.name} is defined neither on ${src} nor on ${T}`, { step: 'locate' });
    if (!start || ON.includes(loc.there)) return { kind: 'ok', reason: `${p.name} is already on ${T} (${loc.there})`, result: { name: p.name, source: src, target: T, migrated: false } };
    return { kind: 'change', reason: `would start ${p.name} on ${T}`, steps: [startThere] };
  }
  if (!loc.xml || !f.probes) throw refuse(`cannot read the XML of ${p.name} on ${src}`, { step: 'locate' });
  const g = parseDomain(loc.xml, `XML of ${p.name}`);
  const pf = preflightOf({ name: p.name, guest: g, source: src, target: T, opts: { mode: 'cold', copyStorage: p.copy_storage !== 'never', unsafe: false } }, f.probes);
  const toCopy = pf.toCopy;
  const preflight = { errors: pf.errors, notes: pf.notes, shared_disks: pf.shared, disks_to_copy: toCopy };
  if (pf.errors.length) throw refuse(`preflight failed, nothing was moved (${p.name} still ${loc.here} on ${src}):\n  - ${pf.errors.join('\n  - ')}`, { step: 'preflight', preflight });
  const steps: Step[] = [];
  if (loc.here !== 'shut off') {
    const timeout = p.shutdown_timeout ?? 60;
    steps.push({ id: 'shutdown', desc: `shut down ${p.name} on ${src}`, cmd: shutdownScript(p.name, timeout), explain: shutdownExplain(p.name, timeout), progress: 0.1, failure: virshFailure, remedy: `shut it down by hand (virsh shutdown ${p.name}, or virsh destroy ${p.name}) and re-run` });
  }
  const dirs = toCopy.map((_, i) => `/tmp/kvplay-copy-${token}-${i}`);
  toCopy.forEach((d, i) => steps.push(copyStep(p.name, src, d, T, dirs[i], i, toCopy.length)));
  const tmp = `/tmp/${p.name}.xml`;
  steps.push({
    id: 'define',
    desc: `define ${p.name} on ${T}`,
    cmd: `virsh dumpxml --inactive ${n} | ${sshTo(T)} ${q('t=$(mktemp) || exit 1; cat > "$t"; virsh define "$t"; rc=$?; rm -f "$t"; exit $rc')}`,
    explain: `virsh dumpxml --inactive ${n} > ${q(tmp)}\nscp ${q(tmp)} root@${q(T)}:/tmp/ && ssh root@${q(T)} virsh define ${q(tmp)}`,
    failure: virshFailure,
    remedy: `nothing is defined on ${T}: fix it and re-run, or start ${p.name} again here (virsh start ${p.name})`,
  });
  if (p.undefine_source !== false) {
    steps.push({ desc: `undefine ${p.name} on ${src} (its disks are kept)`, cmd: `virsh undefine ${n}`, failure: virshFailure, remedy: `${p.name} is defined on both hosts: undefine it on ${src} by hand (virsh undefine ${p.name}) before starting it anywhere` });
  }
  if (start) steps.push(startThere);
  return {
    kind: 'change',
    reason: `would move ${p.name} cold ${src} -> ${T}${toCopy.length ? ` copying ${toCopy.join(', ')}` : ' (shared storage: only the XML moves)'}`,
    steps,
    ...(dirs.length ? { cleanup: [{ desc: 'remove the copy work directories', cmd: `rm -rf ${dirs.map(q).join(' ')}` }] } : {}),
    result: { preflight },
  };
}

const secs = (ms: number) => Math.round(ms / 100) / 10;
const dur = (r: StepResult | undefined) => (r?.startedAt !== undefined && r.endedAt !== undefined ? r.endedAt - r.startedAt : 0);

/** The timings of the steps that ran (controller clock). */
export function coldTiming(results: StepResult[]) {
  const first = results[0]?.startedAt;
  const lastEnd = results[results.length - 1]?.endedAt;
  const copies = results.filter((r) => r.id?.startsWith('copy:'));
  const started = results.find((r) => r.id === 'start');
  return {
    total_s: first !== undefined && lastEnd !== undefined ? secs(lastEnd - first) : null,
    shutdown_s: secs(dur(results.find((r) => r.id === 'shutdown'))),
    copy_s: secs(copies.reduce((a, r) => a + dur(r), 0)),
    off_for_s: started?.endedAt !== undefined && first !== undefined ? secs(started.endedAt - first) : null,
  };
}

/** The verdict after the steps (Verify.judge). */
export function judgeCold(p: ColdParams, f: ColdFacts, src: string, after: Location, results: StepResult[]): { error?: string; state: string; done?: string } {
  const T = p.target;
  const start = p.start !== false;
  const want = start ? 'running' : 'shut off';
  const state = `${p.name} is ${after.here ?? 'not defined'} on ${src} and ${after.there ?? 'not defined'} on ${T}`;
  if (after.there !== want) return { state, error: `${p.name} is ${after.there ?? 'not defined'} on ${T} after the move (wanted ${want}); ${after.here ?? 'not defined'} on ${src}` };
  if (f.loc.here === null) return { state, done: `${p.name} was already defined on ${T}: started it there` };
  const t = coldTiming(results);
  const sd = results.find((r) => r.id === 'shutdown');
  const shutdown = sd ? sd.stdout.trim().split('\n').pop() || 'shut down' : 'was shut off';
  const copied = results.filter((r) => r.id?.startsWith('copy:')).length;
  return {
    state,
    done: `${p.name} moved cold ${src} -> ${T} in ${t.total_s} s (shutdown: ${shutdown}; ${copied ? `copied ${copied} disk(s) in ${t.copy_s} s` : 'shared storage: only the XML moved'}${start ? `; off for ${t.off_for_s} s; running on ${T}` : `; defined, shut off on ${T}`}; ${after.here === null ? 'undefined' : after.here} on ${src})`,
  };
}

/** The registered values after the steps (Module.result). */
export function coldResult(p: ColdParams, f: ColdFacts, src: string, results: StepResult[], after: Location | undefined): Record<string, unknown> {
  if (!results.length || !after) return {};
  const base = { name: p.name, source: src, target: p.target, ...(after.list ? { list: after.list } : {}) };
  const ok = after.there === (p.start !== false ? 'running' : 'shut off') && results.every((r) => r.code === 0);
  if (f.loc.here === null) return { ...base, migrated: false, started: ok };
  if (!ok) return { ...base, source_state: after.here ?? 'undefined', target_state: after.there ?? 'undefined' };
  const sd = results.find((r) => r.id === 'shutdown');
  return {
    ...base,
    migrated: true,
    timing: coldTiming(results),
    shutdown: sd ? sd.stdout.trim().split('\n').pop() || 'shut down' : 'was shut off',
    copied: results.filter((r) => r.id?.startsWith('copy:')).map((r) => r.id!.slice(5)),
    source_state: after.here ?? 'undefined',
    target_state: after.there,
  };
}
