/**
 * migrate / cold_migrate under plan/apply, from output RECORDED on the container lab
 * (test/fixtures/migrate/record.ts): the facts' parsers, the plans' decisions (already there,
 * not defined anywhere, no SSH trust, preflight refusals with their remedy, the steps), the
 * polling step's parsers, and the engine's polling timeout -> `virsh domjobabort` -> failure
 * message with the remedy and the verified state.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ModuleFailure } from '../../src/util/errors.js';
import type { ExecOptions, ExecResult, Become, Transport } from '../../src/transport/types.js';
import type { Plan } from '../../src/engine/module/types.js';
import { applyModule } from '../../src/engine/apply.js';
import { failureText } from '../../src/engine/steps.js';
import { migrate } from '../../src/modules/migrate.js';
import { parseProbes, type Probes } from '../../src/modules/virt/migfacts.js';
import { finishOf, parsePoll, planMigrate, type MigrateFacts } from '../../src/modules/virt/migplan.js';
import { planCold } from '../../src/modules/virt/coldplan.js';
import { makeCtx } from './helpers.js';
import { parseLocation } from '../../src/facts/virsh.js';

const F = new URL('../fixtures/migrate/', import.meta.url).pathname;
const fx = (n: string) => readFileSync(F + n, 'utf8');
const { here, other } = JSON.parse(fx('hosts.json')) as { here: string; other: string };
const G = 'kvplay-guest';
const live = (extra: Record<string, unknown> = {}) => ({ name: G, target: other, unsafe: true, ...extra });
const probes = (file = 'preflight-live.txt'): Probes => parseProbes(here, other, fx(file));
const factsHere = (file = 'preflight-live.txt'): MigrateFacts => ({ loc: parseLocation(G, fx('location-here.txt')), probes: probes(file) });

function refusal(fn: () => Plan): ModuleFailure {
  try {
    fn();
  } catch (e) {
    if (e instanceof ModuleFailure) return e;
    throw e;
  }
  throw new Error('the plan did not refuse');
}

test('location facts parse from the recorded output', () => {
  const a = parseLocation(G, fx('location-here.txt'));
  assert.is(a.here, 'running');
  assert.is(a.there, null);
  assert.is(a.sshError, undefined);
  assert.match(a.xml ?? '', new RegExp(`<name>${G}</name>`));
  const b = parseLocation(G, fx('location-there.txt'));
  assert.is(b.here, null);
  assert.is(b.there, 'running');
  const c = parseLocation(G, fx('location-nossh.txt'));
  assert.match(c.sshError ?? '', /kvplay-no-such-host\.invalid/);
  const d = parseLocation('kvplay-no-such-guest', fx('location-nodomain.txt'));
  assert.equal([d.here, d.there, d.error], [null, null, undefined]);
  const e = parseLocation(G, fx('verify-lists.txt'));
  assert.match(e.list?.source ?? '', new RegExp(`${G}\\s+running`));
  assert.not.match(e.list?.target ?? '', new RegExp(G));
  assert.is(e.xml, undefined);
});

test('the preflight of both hosts parses (nested probe output, nonce seen on the target)', () => {
  const p = probes();
  assert.is(p.sshError, undefined);
  assert.is(p.src!.domain, 'running');
  assert.is(p.dst!.domain, null);
  assert.ok(p.dst!.hostUuid && p.dst!.hostUuid !== p.src!.hostUuid);
  const disk = Object.entries(p.dst!.paths).find(([k]) => k.endsWith('.qcow2'));
  assert.ok(disk, 'the disk was probed');
  assert.is(disk![1].nonce, true, 'the nonce written here is seen on the target: shared storage');
  assert.ok(p.dst!.cpuCompare, 'live: the CPU is compared on the target');
  assert.not.ok(probes('preflight-cold.txt').dst!.cpuCompare, 'cold: no CPU comparison');
});

test('already there: ok with the reason, nothing runs', () => {
  const plan = planMigrate({ name: G, target: here }, { loc: parseLocation(G, fx('location-there.txt')) }, { host: other, check: false });
  assert.is(plan.kind, 'ok');
  assert.is(plan.reason, `${G} already runs on ${here}`);
  assert.equal(plan.result, { name: G, source: other, target: here, migrated: false });
});

test('wrong host: the guest is defined nowhere -> refused (check mode: predicted, an earlier task may create it)', () => {
  const f = { loc: parseLocation('kvplay-no-such-guest', fx('location-nodomain.txt')) };
  const e = refusal(() => planMigrate({ name: 'kvplay-no-such-guest', target: other }, f, { host: here, check: false }));
  assert.is(e.message, `domain kvplay-no-such-guest is not defined on ${here}, nor on ${other}`);
  assert.is(e.result.step, 'locate');
  const chk = planMigrate({ name: 'kvplay-no-such-guest', target: other }, f, { host: here, check: true });
  assert.is(chk.kind, 'change');
  assert.match(chk.reason, new RegExp(`would migrate kvplay-no-such-guest live ${here} -> ${other} \\(check mode: kvplay-no-such-guest is not defined on ${here} yet`));
});

test('no SSH trust to the target: refused before any probe, with the remedy', () => {
  const f = { loc: parseLocation(G, fx('location-nossh.txt')) };
  const e = refusal(() => planMigrate({ name: G, target: 'kvplay-no-such-host.invalid' }, f, { host: here, check: false }));
  assert.match(e.message, new RegExp(`^preflight failed, nothing was moved: SSH from ${here} to kvplay-no-such-host\\.invalid as root without a password failed: .*kvplay-no-such-host\\.invalid.*\\(set up the trust first: ssh_trust role`));
  assert.is(e.result.step, 'preflight');
});

test('preflight refusals name what is wrong and what to do; nothing moves', () => {
  // the recorded lab as it is, but without unsafe: the share is not one libvirt recognizes as shared
  const fs = probes().src!.paths;
  const mount = Object.values(fs).find((x) => x.mount)?.mount;
  if (mount && mount.fstype.startsWith('fuse.')) {
    const e = refusal(() => planMigrate(live({ unsafe: false }), factsHere(), { host: here, check: false }));
    assert.match(e.message, new RegExp(`^preflight failed, nothing was moved \\(${G} still running on ${here}\\):\\n  - disk .* is on ${mount.fstype.replace('.', '\\.')} .*set unsafe: true`));
    assert.is(e.result.step, 'preflight');
  }
  // the target without the guest's bridge (recorded probe, one fact changed)
  const f = factsHere();
  for (const b of Object.keys(f.probes!.dst!.bridges)) f.probes!.dst!.bridges[b] = false;
  const e2 = refusal(() => planMigrate(live(), f, { host: here, check: false }));
  assert.match(e2.message, new RegExp(`${other} has no bridge \\S+ \\(the guest's interface 0 is on it\\): create it first`));
  assert.ok(Array.isArray((e2.result.preflight as { errors: string[] }).errors));
});

test('the steps of a live migration: valid sh, the polling step aborts after the timeout', () => {
  const plan = planMigrate(live({ timeout: 30, max_downtime: 500, probe_address: '10.0.0.50' }), factsHere(), { host: here, check: false }, 'tok');
  if (plan.kind !== 'change') throw new Error('expected a change');
  assert.match(plan.reason, new RegExp(`^would migrate ${G} live ${here} -> ${other} \\(preflight passed`));
  assert.equal(plan.steps.map((s) => s.desc), [
    `work directory /tmp/kvplay-migrate-tok on ${here}`,
    'set the longest pause for the final switch to 500 ms',
    'probe 10.0.0.50 during the migration',
    `live migration ${here} -> ${other}`,
  ]);
  const m = plan.steps[3];
  assert.match(m.explain!, new RegExp(`^virsh migrate --live --persistent --undefinesource --unsafe ${G} qemu\\+ssh://${other}/system`));
  assert.is(m.poll!.timeoutMs, 30_000);
  assert.is(m.poll!.abort, `virsh domjobabort ${G}`);
  for (const s of [...plan.steps, ...(plan.cleanup ?? [])]) for (const c of [s.cmd, s.poll?.cmd, s.poll?.finish]) if (c) execFileSync('sh', ['-n', '-c', c]);
  // without a timeout (or another timeout action: libvirt's own) the engine never aborts
  const p2 = planMigrate(live({ timeout: 30, timeout_action: 'suspend' }), factsHere(), { host: here, check: false });
  assert.is(p2.kind === 'change' && p2.steps[p2.steps.length - 1].poll!.abort, undefined);
});

test('polling parsers: progress from the recorded running job; the end from the rc file', () => {
  const s = parsePoll(fx('poll-running.txt'));
  assert.is(s.done, false);
  assert.match(s.progress!.text, /of .* left/);
  assert.ok(s.progress!.fraction! >= 0 && s.progress!.fraction! <= 1);
  assert.ok(s.progress!.metrics!.totalBytes! > 0);
  assert.is(parsePoll(fx('poll-done.txt')).done, true);
  const fin = finishOf({ code: Number(fx('finish-aborted.rc')), stdout: fx('finish-aborted.txt'), stderr: '' })!;
  assert.ok(fin.rc !== 0, 'an aborted migration exits non-zero');
  assert.match(fin.log, /error:/);
});

test('cold migration over shared storage: shut down, define there, undefine here, start there', () => {
  const f = { loc: parseLocation(G, fx('location-cold.txt')), probes: probes('preflight-cold.txt') };
  const plan = planCold({ name: G, target: other, copy_storage: 'never' }, f, { host: here, check: false });
  if (plan.kind !== 'change') throw new Error('expected a change');
  assert.match(plan.reason, new RegExp(`^would move ${G} cold ${here} -> ${other} \\(shared storage: only the XML moves\\)`));
  assert.equal(plan.steps.map((s) => s.desc), [`shut down ${G} on ${here}`, `define ${G} on ${other}`, `undefine ${G} on ${here} (its disks are kept)`, `start ${G} on ${other}`]);
  for (const s of plan.steps) execFileSync('sh', ['-n', '-c', s.cmd]);
  // already defined on the target, shut off there: only started
  const there = parseLocation(G, fx('location-there.txt'));
  const p2 = planCold({ name: G, target: here }, { loc: { ...there, there: 'shut off' } }, { host: other, check: false });
  assert.equal(p2.kind === 'change' && p2.steps.map((s) => s.desc), [`start ${G} on ${here}`]);
  assert.is(planCold({ name: G, target: here }, { loc: there }, { host: other, check: false }).kind, 'ok');
});

/** A transport answering with the recorded output: facts, the migration's start, its polls, the abort, its finish. */
class Recorded implements Transport {
  readonly name = here;
  sent: string[] = [];
  aborted = 0;
  async connect() {}
  async close() {}
  private answer(cmd: string): ExecResult {
    this.sent.push(cmd);
    const ok = (stdout: string, code = 0): ExecResult => ({ code, stdout, stderr: '' });
    if (cmd.includes('.kvplay-shared-check-')) return ok(fx('preflight-live.txt'));
    if (cmd.includes('domstate') && !cmd.includes('resume')) return ok(fx('location-here.txt'));
    if (cmd.startsWith('virsh domjobabort')) return this.aborted++, ok('');
    if (cmd.includes('setsid')) return ok(fx('start.txt'));
    if (cmd.includes('/t1')) return ok(fx('finish-aborted.txt'), Number(fx('finish-aborted.rc')));
    if (cmd.includes('domjobinfo')) return ok(fx(this.aborted ? 'poll-done.txt' : 'poll-running.txt'));
    return ok('');
  }
  async exec(cmd: string, _o?: ExecOptions): Promise<ExecResult> {
    return this.answer(cmd);
  }
  async execMany(cmds: string[], _o?: { become?: Become | null }): Promise<ExecResult[]> {
    return cmds.map((c) => this.answer(c));
  }
}

test('engine: a job past its timeout is aborted (virsh domjobabort), the failure tells the stage, the state and the remedy', async () => {
  const t = new Recorded();
  const progress: string[] = [];
  const ctx = makeCtx({ host: here, transport: t, progress: (text) => progress.push(text) });
  const out = await applyModule(migrate, live({ timeout: 1, poll_interval: 0.1 }), ctx);
  assert.is(out.status, 'failed', out.reason);
  assert.is(t.aborted, 1, 'aborted once');
  assert.match(out.reason, new RegExp(`^live migration ${here} -> ${other} failed at: memory copy \\(did not converge in time\\): .+\\. ${G} is still running on ${here}\\. What to do: the guest dirties memory faster than the link carries it: try auto_converge: true, a larger max_downtime \\(ms\\)`));
  assert.match(out.reason, /\(last progress: .* left/);
  assert.is(out.data.timed_out, true);
  assert.is(out.data.step, 'memory copy (did not converge in time)');
  assert.is(out.data.changed, false, 'nothing changed: the guest stays where it was');
  assert.ok(progress.some((p) => p.startsWith(`live migration ${here} -> ${other}: `)), 'progress events');
  assert.ok(ctx.logs.some((l) => /1s elapsed, aborting the job/.test(l)));
  assert.ok(t.sent.some((c) => /^\[ -f .*ping\.pid \].*rm -rf/s.test(c)), 'cleanup ran');
});

test('engine: check mode predicts from the facts and runs nothing', async () => {
  const t = new Recorded();
  const out = await applyModule(migrate, live(), makeCtx({ host: here, transport: t, check: true }));
  assert.is(out.status, 'changed');
  assert.match(out.reason, new RegExp(`would migrate ${G} live ${here} -> ${other} \\(preflight passed`));
  assert.not.ok(t.sent.some((c) => c.includes('setsid') || c.startsWith('mkdir')), 'nothing started');
});

test('failure wording: plain steps keep the short form; told steps get stage, state and remedy', () => {
  const r = { code: 2, stdout: '', stderr: 'boom\n' };
  assert.is(failureText({ desc: 'write /etc/x', cmd: 'false' }, r), 'write /etc/x: rc=2: boom');
  assert.is(failureText({ desc: 'define g on b', cmd: 'false', remedy: 'do X' }, r, 'g is shut off on a.'), 'define g on b failed: boom. g is shut off on a. What to do: do X');
  assert.is(failureText({ desc: 'j', cmd: 'false', failure: () => ({ at: 'stage', error: 'bad.', remedy: 'R' }) }, { ...r, lastProgress: '1 MiB left' }), 'j failed at: stage: bad. What to do: R (last progress: 1 MiB left)');
});

test.run();
