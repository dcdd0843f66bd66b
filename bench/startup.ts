/**
 * Start-up of kvplay builds side by side (bench/README.md "Start-up"): `--version`, `--doc copy`
 * and a 1-task playbook (debug on localhost over the local connection), every variant run in turn
 * (A B C A B C ...) so the load of the shared machine hits all of them alike. Prints medians,
 * min–max and ratios of medians to the first variant: wall (spawn to exit, seen from here) and CPU
 * (user+sys of the kvplay process at its exit, process.cpuUsage(): microseconds, unlike GNU time's
 * 10 ms steps; less disturbed by other load than wall).
 *
 *   node dist/bench/startup.js [--runs N] [--baseline [NAME=]DIR]... [--no-tsc]
 *
 * Variants: `bundle` (bin/kvplay.js, which runs dist/bundle), `tsc` (the compiled tree dist/src,
 * unbundled), node running an empty script (the floor), and one per --baseline DIR: DIR/bin/kvplay.js of another build (e.g. bin/, dist/ and
 * package.json of an older checkout copied to DIR, with DIR/node_modules a link to this one's).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { BIN, ROOT, benchDir, fmtMs, max, median, min, table } from './lib.js';

interface Variant { name: string; entry: string; floor?: boolean; root?: string }
interface Workload { name: string; args: string[]; expect: RegExp }

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' }, baseline: { type: 'string', multiple: true, default: [] }, 'no-tsc': { type: 'boolean', default: false } } });
const runs = Number(values.runs);
const dir = benchDir('kvplay-startup-');

const variants: Variant[] = [{ name: 'bundle', entry: BIN, root: ROOT }];
if (!values['no-tsc']) {
  // what bin/kvplay.js does when there is no bundle
  const entry = join(dir, 'tsc-entry.mjs');
  writeFileSync(entry, `const { main } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist/src/cli/main.js')).href)});\nprocess.exitCode = await main(process.argv.slice(2));\n`);
  variants.push({ name: 'tsc', entry });
}
// node itself: the floor no kvplay can go under
const empty = join(dir, 'empty.mjs');
writeFileSync(empty, '');
variants.push({ name: 'node (empty script)', entry: empty, floor: true });
for (const b of values.baseline ?? []) {
  const [name, path] = b.includes('=') ? [b.slice(0, b.indexOf('=')), b.slice(b.indexOf('=') + 1)] : [basename(resolve(b)), b];
  variants.push({ name, entry: join(resolve(path), 'bin', 'kvplay.js'), root: resolve(path) });
}
for (const v of variants) if (!existsSync(v.entry)) throw new Error(`${v.name}: no ${v.entry} (npm run build?)`);

// preloaded into each run: its CPU time at exit
const cpuFile = join(dir, 'cpu.json');
const preload = join(dir, 'cpu-at-exit.mjs');
writeFileSync(preload, `import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => { const u = process.cpuUsage(); writeFileSync(${JSON.stringify(cpuFile)}, String((u.user + u.system) / 1000)); });\n`);

function runOnce(entry: string, args: string[]): { code: number; stdout: string; stderr: string; wallMs: number; cpuMs: number } {
  rmSync(cpuFile, { force: true });
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(preload).href, entry, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpuMs = existsSync(cpuFile) ? Number(readFileSync(cpuFile, 'utf8')) : NaN;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, wallMs, cpuMs };
}

writeFileSync(join(dir, 'inventory.yml'), 'all:\n  hosts:\n    localhost:\n      ansible_connection: local\n');
writeFileSync(join(dir, 'debug.yml'), '- hosts: localhost\n  gather_facts: false\n  tasks:\n    - name: hello\n      debug:\n        msg: hello\n');
const workloads: Workload[] = [
  { name: 'kvplay --version', args: ['--version'], expect: /^kvplay \d/ },
  { name: 'kvplay --doc copy', args: ['--doc', 'copy'], expect: /^copy — / },
  { name: '1 debug task on localhost', args: ['-i', join(dir, 'inventory.yml'), join(dir, 'debug.yml')], expect: /localhost\s+: ok=1 / },
];

const load0 = loadavg()[0];
console.log(`kvplay start-up: ${runs} runs of each variant per workload, interleaved; load average ${load0.toFixed(1)}`);
for (const w of workloads) {
  const wall = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  const cpu = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  for (let i = 0; i < runs + 1; i++) {
    for (const v of variants) {
      const m = runOnce(v.entry, w.args);
      if (m.code !== 0 || (!v.floor && !w.expect.test(m.stdout))) throw new Error(`${v.name}, ${w.name}: exit ${m.code}\n${m.stdout}${m.stderr}`);
      if (i === 0) continue; // a warm-up round: page cache
      wall.get(v.name)!.push(m.wallMs);
      cpu.get(v.name)!.push(m.cpuMs);
    }
  }
  const base = variants[0].name;
  const ratio = (xs: Map<string, number[]>, n: string) => (median(xs.get(n)!) / median(xs.get(base)!)).toFixed(2);
  console.log(`\n${w.name}`);
  console.log(table([
    ['variant', 'wall median', 'min–max', `wall / ${base}`, 'CPU median', `CPU / ${base}`],
    ...variants.map((v) => {
      const xs = wall.get(v.name)!;
      return [v.name, fmtMs(median(xs)), `${fmtMs(min(xs))}–${fmtMs(max(xs))}`, ratio(wall, v.name), fmtMs(median(cpu.get(v.name)!)), ratio(cpu, v.name)];
    }),
  ]));
}
// the module registry alone, timed inside fresh processes (this tree's and each baseline's dist/src)
// the registry: dist/src/engine/module/registry.js since issue 10, dist/src/modules/index.js before
const registryOf = (root: string) => [join(root, 'dist/src/engine/module/registry.js'), join(root, 'dist/src/modules/index.js')].find((f) => existsSync(f));
const withIndex = variants.filter((v) => v.root && registryOf(v.root));
const importMs = new Map<string, number[]>(withIndex.map((v) => [v.name, []]));
for (let i = 0; i < runs; i++) {
  for (const v of withIndex) {
    const url = pathToFileURL(registryOf(v.root!)!).href;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `const t0 = performance.now(); await import(${JSON.stringify(url)}); console.log(performance.now() - t0)`], { cwd: dir, encoding: 'utf8' });
    importMs.get(v.name)!.push(Number(r.stdout.trim()));
  }
}
console.log(`\nimport the module registry (inside a fresh process)`);
console.log(table([['tree', 'median', 'min–max'], ...withIndex.map((v) => {
  const xs = importMs.get(v.name)!;
  return [v.name === 'bundle' ? 'this tree' : v.name, fmtMs(median(xs)), `${fmtMs(min(xs))}–${fmtMs(max(xs))}`];
})]));
console.log(`\nload average ${load0.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after`);
rmSync(dir, { recursive: true, force: true });
