/**
 * `npm run bench -- --scale` (or `node dist/bench/scale.js`): kvplay against N inventory hosts
 * (default 10, 50, 200, 500) spread over 5 loopback sshd daemons, a 5-task no-change workload
 * (bench/workloads/scale.yaml), forks = N. Reports wall time, CPU and peak RSS per N, whether
 * any host was dropped (recap unreachable > 0, or missing from the recap), and the targets:
 * wall time sub-linear in N, peak RSS < 300 MiB at 500 hosts, no host dropped.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { benchDir, fmtMiB, fmtMs, kvplayRun, max, median, min, newestProfile, printProfile, recapTotals, startFleet, table, WORKLOADS, type Fleet, type Measured } from './lib.js';
import { phasesOf, printPhases } from './phases.js';

const RSS_TARGET_KIB = 300 * 1024;
const SSHD_EXTRA = ['MaxStartups 1000:30:1000', 'MaxSessions 100', 'Subsystem sftp /usr/lib/openssh/sftp-server'].join('\n');

interface Point { n: number; converge: Measured; runs: Measured[]; dropped: number; changed: number; why: Set<string> }

/** The distinct reasons of UNREACHABLE lines, host names and ports blanked. */
function unreachableWhy(m: Measured): string[] {
  return m.stdout.split('\n').filter((l) => /UNREACHABLE!/.test(l))
    .map((l) => l.replace(/^.*UNREACHABLE! => /, '').replace(/host\d+/g, 'HOST').replace(/:\d+\)/g, ':PORT)'));
}

function dropped(m: Measured, n: number): number {
  const r = recapTotals(m.stdout);
  return r.unreachable + Math.max(0, n - r.hosts);
}

export async function scaleMain(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      sizes: { type: 'string', default: '10,50,200,500' },
      daemons: { type: 'string', default: '5' },
      runs: { type: 'string', default: '3' },
      forks: { type: 'string' },
      profile: { type: 'boolean' },
      keep: { type: 'boolean' },
    },
  });
  const sizes = values.sizes!.split(',').map(Number).filter((n) => n > 0).sort((a, b) => a - b);
  const daemons = Number(values.daemons);
  const runs = Number(values.runs);
  const maxN = sizes[sizes.length - 1];
  const soft = Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim()) || 1024;
  const need = 4 * maxN + 1024; // a socket per host, plus node's own
  const ulimitN = soft >= need ? undefined : need;
  const forksOf = (n: number) => (values.forks ? Number(values.forks) : n);
  const dir = benchDir('kvplay-scale-');
  console.log(`kvplay scale benchmark ${new Date().toISOString()}: node ${process.version}; sizes ${sizes.join(', ')}; ${daemons} sshd daemons; forks = ${values.forks ?? 'N'}; ${runs} timed runs per size; fd limit ${soft}${ulimitN ? ` (raised to ${ulimitN} for kvplay)` : ''}; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  let fleet: Fleet | undefined;
  try {
    fleet = await startFleet(dir, daemons, maxN, SSHD_EXTRA);
    const eff = execFileSync('/usr/sbin/sshd', ['-T', '-f', join(fleet.daemons[0].dir, 'sshd_config')], { encoding: 'utf8' })
      .split('\n').filter((l) => /^(maxstartups|maxsessions) /.test(l)).join(', ');
    console.log(`sshd effective settings: ${eff} (the harness's own MaxSessions 50 comes first in sshd_config and wins; kvplay needs 1-2 channels per connection)`);
    const pb = join(WORKLOADS, 'scale.yaml');
    const points: Point[] = [];
    for (const n of sizes) {
      const args = [pb, '-i', fleet.inventoryFor(n), '--forks', String(forksOf(n))];
      const converge = await kvplayRun(args, [], { ulimitN });
      const p: Point = { n, converge, runs: [], dropped: dropped(converge, n), changed: 0, why: new Set(unreachableWhy(converge)) };
      for (let i = 0; i < runs; i++) {
        const m = await kvplayRun(args, [], { ulimitN });
        p.runs.push(m);
        p.dropped = Math.max(p.dropped, dropped(m, n));
        p.changed = Math.max(p.changed, recapTotals(m.stdout).changed);
        for (const w of unreachableWhy(m)) p.why.add(w);
        if (m.code !== 0 && m.code !== 4) console.log(`N=${n}: exit ${m.code}\n${m.stdout.slice(-1500)}\n${m.stderr.slice(-1500)}`);
      }
      const w = p.runs.map((m) => m.wallMs);
      console.log(`  N=${n}: converge ${fmtMs(converge.wallMs)} (dropped ${dropped(converge, n)}), no-change ${w.map(fmtMs).join(', ')} (dropped ${p.runs.map((m) => dropped(m, n)).join(', ')})`);
      for (const why of p.why) console.log(`    unreachable: ${why}`);
      points.push(p);
    }

    console.log(`\nRESULTS: 5 tasks x N hosts, no-change run; median (min–max) of ${runs} runs`);
    const rows = [['hosts', 'forks', 'wall', 'wall/host', 'kvplay CPU', 'machine CPU (busy)', 'peak RSS', 'changed', 'dropped', 'exp wall', 'exp kvplay CPU']];
    const exps: number[] = [];
    const med = (p: Point, f: (m: Measured) => number) => median(p.runs.map(f));
    points.forEach((p, i) => {
      const w = p.runs.map((m) => m.wallMs);
      let exp = '';
      let cexp = '';
      if (i > 0) {
        const prev = points[i - 1];
        const e = Math.log(med(p, (m) => m.wallMs) / med(prev, (m) => m.wallMs)) / Math.log(p.n / prev.n);
        exps.push(e);
        exp = `${e.toFixed(2)}`;
        cexp = (Math.log(med(p, (m) => m.cpuMs) / med(prev, (m) => m.cpuMs)) / Math.log(p.n / prev.n)).toFixed(2);
      }
      const busy = (100 * med(p, (m) => m.machineCpuMs)) / (cpus().length * median(w));
      rows.push([String(p.n), String(forksOf(p.n)), `${fmtMs(median(w))} (${fmtMs(min(w))}–${fmtMs(max(w))})`, fmtMs(median(w) / p.n),
        fmtMs(med(p, (m) => m.cpuMs)), `${fmtMs(med(p, (m) => m.machineCpuMs))} (${busy.toFixed(0)}%)`, fmtMiB(max(p.runs.map((m) => m.maxRssKiB))), String(p.changed), String(p.dropped), exp, cexp]);
    });
    console.log(table(rows));
    const big = points[points.length - 1];
    const small = points[0];
    const marginal = (median(big.runs.map((m) => m.wallMs)) - median(small.runs.map((m) => m.wallMs))) / (big.n - small.n);
    console.log('exp = growth exponent from the previous size (log ratio of medians / log ratio of hosts; 1.00 = linear).');
    console.log('machine CPU = all processes of the machine during the run (the sshd side, remote shells and their commands run on the same cores); busy = share of all cores.');
    console.log(`marginal cost per extra host (${small.n} -> ${big.n}): ${fmtMs(marginal)} wall (5 tasks + 1 SSH connect each)`);

    console.log('\nTARGETS:');
    const sub = exps.every((e) => e < 1);
    console.log(`  [${sub ? 'PASS' : 'MISS'}] wall time grows sub-linearly with hosts: growth exponents ${exps.map((e) => e.toFixed(2)).join(', ')} (1.00 = linear)${sub ? '' : `; worst ${max(exps).toFixed(2)}`}`);
    const cpuExp = Math.log(med(big, (m) => m.cpuMs) / med(small, (m) => m.cpuMs)) / Math.log(big.n / small.n);
    const bigBusy = med(big, (m) => m.machineCpuMs) / (cpus().length * med(big, (m) => m.wallMs));
    console.log(`         kvplay's own CPU (user+sys) ${small.n} -> ${big.n} hosts: exponent ${cpuExp.toFixed(2)}; at ${big.n} hosts kvplay used ${fmtMs(med(big, (m) => m.cpuMs))} of ${fmtMs(med(big, (m) => m.machineCpuMs))} machine CPU (${(100 * med(big, (m) => m.cpuMs) / med(big, (m) => m.machineCpuMs)).toFixed(0)}%), cores ${(100 * bigBusy).toFixed(0)}% busy`);
    const rss = max(big.runs.map((m) => m.maxRssKiB));
    const rssOk = rss < RSS_TARGET_KIB;
    console.log(`  [${rssOk ? 'PASS' : 'MISS'}] peak RSS < 300 MiB at ${big.n} hosts: ${fmtMiB(rss)}${rssOk ? '' : `, over by ${fmtMiB(rss - RSS_TARGET_KIB)}`}`);
    const drops = points.reduce((a, p) => a + p.dropped, 0);
    console.log(`  [${drops === 0 ? 'PASS' : 'MISS'}] no host dropped: ${drops === 0 ? 'none at any size' : points.filter((p) => p.dropped).map((p) => `${p.dropped} of ${p.n}`).join(', ')}`);

    printPhases(await phasesOf([pb, '-i', fleet.inventoryFor(big.n), '--forks', String(forksOf(big.n))]));
    if (!sub || !rssOk || drops || values.profile) {
      const profDir = join(dir, 'prof');
      mkdirSync(profDir, { recursive: true });
      await kvplayRun([pb, '-i', fleet.inventoryFor(big.n), '--forks', String(forksOf(big.n))], ['--cpu-prof', `--cpu-prof-dir=${profDir}`], { ulimitN });
      const prof = newestProfile(profDir);
      if (prof) printProfile(prof);
      if (bigBusy > 0.85) console.log('note: the profiler samples wall time of the main thread; with every core busy, time kvplay spends preempted inside a syscall (socket writes: loopback TCP wakes the receiving sshd) is charged to that native function (writeBuffer).');
    }
    return 0;
  } finally {
    await fleet?.stop();
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  scaleMain(process.argv.slice(2)).then((c) => process.exit(c), (e) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exit(1);
  });
}
