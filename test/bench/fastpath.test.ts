/**
 * Speed is not bought with correctness: the benchmark's synthetic workload (20 tasks) run
 * through the real CLI against 3 sshd aliases gives the same per-task per-host statuses with
 * the default forks (all hosts at once) and with --forks 1 (the plain path, one host at a time),
 * for the converging run and for the no-change rerun. Each variant starts from fresh work dirs.
 */
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startHosts, kvplay, ROOT, type Lab } from '../e2e/helpers.js';
import { requires } from '../harness/gate.js';

/** Needs real sshd hosts (root): elsewhere every test is reported as skipped with the reason. */
const test = requires({ sshd: true });

const PLAYBOOK = join(ROOT, 'bench', 'workloads', 'synthetic.yaml');
const TASKS = 20;
let lab: Lab;

test.before(async () => {
  lab = await startHosts(3);
});

test.after(async () => {
  await lab?.stop();
  if (lab) rmSync(lab.dir, { recursive: true, force: true });
});

function freshWork(): void {
  for (const h of lab.hosts) {
    rmSync(lab.work(h), { recursive: true, force: true });
    mkdirSync(lab.work(h), { recursive: true });
  }
}

/** "task|host" -> status from a --report file; checks the shape on the way. */
function statusesOf(reportFile: string): Record<string, string> {
  const doc = JSON.parse(readFileSync(reportFile, 'utf8'));
  assert.is(doc.exitCode, 0, `exit code in ${reportFile}`);
  assert.is(doc.tasks.length, TASKS, 'every task reported');
  const out: Record<string, string> = {};
  for (const t of doc.tasks) {
    assert.equal(Object.keys(t.results).sort(), [...lab.hosts].sort(), `task ${t.name}: a result per host`);
    for (const [h, r] of Object.entries<any>(t.results)) out[`${t.name}|${h}`] = r.status;
  }
  return out;
}

/** Converge from empty work dirs, then rerun: the two runs' statuses. */
async function variant(name: string, extra: string[]): Promise<{ converge: Record<string, string>; rerun: Record<string, string> }> {
  freshWork();
  const runs: Record<string, string>[] = [];
  for (const pass of ['converge', 'rerun']) {
    const report = join(lab.dir, `${name}-${pass}.json`);
    const r = await kvplay([PLAYBOOK, '-i', lab.inventory, '--report', report, ...extra]);
    assert.is(r.code, 0, `${name} ${pass}: exit ${r.code}\n${r.stdout.slice(-2000)}\n${r.stderr}`);
    runs.push(statusesOf(report));
  }
  return { converge: runs[0], rerun: runs[1] };
}

test('default forks and --forks 1 give identical per-task per-host statuses', async () => {
  const fast = await variant('parallel', []);
  const plain = await variant('forks1', ['--forks', '1']);
  assert.is(Object.keys(fast.converge).length, TASKS * lab.hosts.length);
  assert.equal(fast.converge, plain.converge, 'converging run');
  assert.equal(fast.rerun, plain.rerun, 'rerun');
  // sanity: the first run changes things, only ok/changed appear, and the rerun is mostly ok
  const vals = (m: Record<string, string>) => Object.values(m);
  assert.ok(vals(fast.converge).includes('changed'), 'the converging run changes something');
  for (const v of [...vals(fast.converge), ...vals(fast.rerun)]) assert.ok(v === 'ok' || v === 'changed', `unexpected status ${v}`);
  const changedAgain = Object.entries(fast.rerun).filter(([, s]) => s === 'changed').map(([k]) => k.split('|')[0]);
  assert.ok(changedAgain.length < vals(fast.rerun).length / 4, `rerun changed: ${changedAgain.join(', ')}`);
});

test.run();
