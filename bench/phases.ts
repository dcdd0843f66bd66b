/**
 * Where a kvplay run's wall time goes, from its `--json` event timestamps (ms resolution) and
 * the bench's own clock around the process: start-up (node + load + playbook/inventory parse),
 * the first task (which includes the SSH connects), the other tasks, the gaps between tasks
 * (engine work outside a task), the end (recap, closing connections, process exit). Plus the
 * median host duration per module, which shows how many round trips a module costs.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT, fmtMs, median, table } from './lib.js';

interface Ev { kind: string; ts: string; task?: string; module?: string; host?: string; durationMs?: number; status?: string }

export interface Phases {
  wallMs: number;
  rows: { phase: string; ms: number }[];
  modules: { module: string; n: number; medianMs: number; maxMs: number }[];
  tasks: { task: string; ms: number }[];
}

export function kvplayJson(args: string[]): Promise<{ spawnAt: number; exitAt: number; events: Ev[]; code: number }> {
  return new Promise((res) => {
    const spawnAt = Date.now();
    const child = spawn(process.execPath, [BIN, ...args, '--json'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', () => undefined);
    child.on('close', (code) => {
      const exitAt = Date.now();
      const events = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Ev);
      res({ spawnAt, exitAt, events, code: code ?? -1 });
    });
  });
}

export async function phasesOf(args: string[]): Promise<Phases> {
  const { spawnAt, exitAt, events } = await kvplayJson(args);
  const t = (e: Ev | undefined) => (e ? Date.parse(e.ts) : NaN);
  const runStart = events.find((e) => e.kind === 'run_start');
  const starts = events.filter((e) => e.kind === 'task_start');
  const ends = events.filter((e) => e.kind === 'task_end');
  const recap = events.find((e) => e.kind === 'recap');
  const runEnd = events.find((e) => e.kind === 'run_end');
  const taskMs = ends.map((e) => e.durationMs ?? 0);
  let gaps = 0;
  for (let i = 1; i < starts.length; i++) gaps += t(starts[i]) - t(ends[i - 1]);
  const rows = [
    { phase: 'process start -> run_start (node, load modules, parse playbook + inventory)', ms: t(runStart) - spawnAt },
    { phase: 'run_start -> first task_start', ms: t(starts[0]) - t(runStart) },
    { phase: `first task (includes SSH connect of every host)`, ms: taskMs[0] ?? NaN },
    { phase: `other ${Math.max(0, taskMs.length - 1)} tasks (sum; median ${fmtMs(median(taskMs.slice(1)))} each)`, ms: taskMs.slice(1).reduce((a, b) => a + b, 0) },
    { phase: 'gaps between tasks (sum)', ms: gaps },
    { phase: 'last task_end -> recap', ms: t(recap) - t(ends[ends.length - 1]) },
    { phase: 'recap -> run_end (closing connections)', ms: t(runEnd) - t(recap) },
    { phase: 'run_end -> process exit', ms: exitAt - t(runEnd) },
  ];
  const byMod = new Map<string, number[]>();
  const modOf = new Map(starts.map((e) => [e.task!, e.module!]));
  const firstTask = starts[0]?.task;
  for (const e of events) {
    if (e.kind !== 'host_result' || e.task === firstTask) continue; // first task carries the connect
    const m = modOf.get(e.task!) ?? '?';
    if (!byMod.has(m)) byMod.set(m, []);
    byMod.get(m)!.push(e.durationMs ?? 0);
  }
  const modules = [...byMod.entries()].map(([module, xs]) => ({ module, n: xs.length, medianMs: median(xs), maxMs: Math.max(...xs) })).sort((a, b) => b.medianMs - a.medianMs);
  const tasks = starts.map((s, i) => ({ task: s.task!, ms: ends[i]?.durationMs ?? NaN }));
  return { wallMs: exitAt - spawnAt, rows, modules, tasks };
}

export function printPhases(p: Phases, rttShellMs?: number): void {
  console.log(`\nPhases of one kvplay run (--json timestamps, ${fmtMs(p.wallMs)} wall):`);
  console.log(table([['phase', 'ms'], ...p.rows.map((r) => [r.phase, Number.isFinite(r.ms) ? r.ms.toFixed(0) : '-'])]));
  console.log('\nmedian host time per module (tasks 2..N, each host):');
  const head = ['module', 'results', 'median', 'max', ...(rttShellMs ? ['x shell RTT'] : [])];
  console.log(table([head, ...p.modules.map((m) => [m.module, String(m.n), fmtMs(m.medianMs), fmtMs(m.maxMs), ...(rttShellMs ? [(m.medianMs / rttShellMs).toFixed(1)] : [])])]));
}

/** Time of one snippet in a fresh `node --input-type=module -e` (ms, measured inside), median of `n`. */
function inNode(code: string, n: number): number {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', `const t0 = performance.now(); ${code}; console.log(performance.now() - t0)`], { cwd: ROOT, encoding: 'utf8' });
    xs.push(Number(out.trim().split('\n').pop()));
  }
  return median(xs);
}

function wallOf(args: string[], n: number): number {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    execFileSync(process.execPath, args, { cwd: ROOT, stdio: 'ignore' });
    xs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(xs);
}

const has = (m: string) => existsSync(join(ROOT, 'node_modules', m));

/** Start-up cost by piece, each in fresh node processes (median of n). */
export function startupBreakdown(n = 3): { what: string; ms: number }[] {
  const dep = (m: string) => ({ what: `import '${m}' alone`, ms: inNode(`await import('${m}')`, n) });
  return [
    { what: 'node -e 0 (process start + exit, wall)', ms: wallOf(['-e', '0'], n) },
    { what: 'kvplay --version (wall: start + import everything + exit)', ms: wallOf([BIN, '--version'], n) },
    { what: 'import dist/src/cli/main.js (inside the process)', ms: inNode(`await import('./dist/src/cli/main.js')`, n) },
    ...['./dist/src/engine/module/registry.js', './dist/src/transport/ssh.js', './dist/src/template/index.js', './dist/src/report/index.js'].map(dep),
    ...['ssh2', 'ajv', 'listr2', 'yaml', 'diff', 'chalk', '@xmldom/xmldom', 'xpath'].filter(has).map(dep),
    {
      what: 'ajv compile of every module schema (after import)',
      ms: inNode(`0; const v = await import('./dist/src/engine/module/validate.js'); const m = await import('./dist/src/engine/module/registry.js'); const t1 = performance.now(); v.compileAll(m.moduleNames().map((x) => m.moduleMeta(x))); console.log(performance.now() - t1); process.exit(0)`, n),
    },
  ];
}

export function printStartup(rows: { what: string; ms: number }[]): void {
  console.log('\nStart-up pieces (fresh node processes, median of 3; imports overlap, so they do not add up):');
  console.log(table([['piece', 'ms'], ...rows.map((r) => [r.what, r.ms.toFixed(0)])]));
}
