/**
 * `npm run bench:lab`: kvplay vs ansible-playbook on the lab (bench/README.md, "Realistic"): every
 * stage of playbooks/site.yaml (nfs, storage, bridge, ssh_trust, libvirt, guest, migrate; the
 * guest already on its migration target) against bench/ansible/site.yaml (the same end state with
 * ansible.builtin/ansible.posix/community.crypto modules, virsh commands where Ansible has no
 * usable module), on the lab's 3 containers. Per stage: each tool's wall time, the ratio, and from
 * one `kvplay --json -vvv` run the floor (remote round trips a run cannot avoid) and the slowest
 * remote commands (bench/stages.ts).
 *   b. no-change: kvplay converges a reset lab (guest created and migrated), Ansible runs on top
 *      (must change nothing), then alternating no-change runs;
 *   c. first run: `kvplay lab reset` before EACH timed converge, alternating the tools; Ansible runs
 *      the stages it expresses with its modules (nfs .. libvirt), kvplay all of them; where
 *      kvplay's time goes per stage (apt, services, firewalld, migration, ...) and its own share.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { BIN, ROOT, benchDir, ensureAnsible, fmtMiB, fmtMs, kvplayRun, max, measure, median, min, table, type Measured } from './lib.js';
import { schedule } from './run.js';
import { lockLab, unlockLab } from '../test/virt/helpers.js';
import { STAGES, ansibleChanged, ansibleRecap, ansibleStageMs, kvplayChanged, kvplayRecap, kvplayStageMs, parseAnsibleJson, parseEvents, remoteProfile, topCommands, type Recap, type StageProfile } from './stages.js';

/** The stages Ansible can run from a reset lab (bench/ansible/site.yaml: not guest and migrate). */
const ANSIBLE_FIRST_TAGS = 'nfs,storage,bridge,ssh_trust,libvirt';
/** Targets of issue 14: the whole no-change run, and Ansible/kvplay on the same stages. */
const TARGET_WALL_MS = 1500;
const TARGET_RATIO = 10;
const HOSTS = ['kvm1', 'kvm2', 'nfs'];
const FORKS = 5;
const KV_PLAYBOOK = join(ROOT, 'playbooks', 'site.yaml');
const AN_DIR = join(ROOT, 'bench', 'ansible');
const AN_PLAYBOOK = join(AN_DIR, 'site.yaml');

const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const lab = (args: string[]) => execFileSync(process.execPath, [BIN, 'lab', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });


/**
 * Ansible needs python3 in the hosts (the lab image has it: firewalld depends on it). If one
 * lacks it, install it from the lab's local apt repository when the repository has it.
 * Returns null when every host has python3, else why Ansible cannot run.
 */
function ensurePython(): string | null {
  for (const h of HOSTS) {
    const has = () => spawnSync(process.execPath, [BIN, 'lab', 'ssh', h, 'python3 --version'], { encoding: 'utf8' }).status === 0;
    if (has()) continue;
    console.log(`${h}: no python3; trying the lab's local apt repository`);
    spawnSync(process.execPath, [BIN, 'lab', 'ssh', h, 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3'], { stdio: 'inherit' });
    if (!has()) return `${h} has no python3 and the lab's local apt repository cannot install it`;
  }
  return null;
}

/** ansible.cfg from bench/ansible/ansible.cfg.in, with a control_path_dir of its own per call. */
function ansibleEnv(dir: string, name: string): { env: Record<string, string>; text: string; cp: string } {
  const d = join(dir, name);
  const cp = join(d, 'cp');
  mkdirSync(cp, { recursive: true });
  const text = readFileSync(join(AN_DIR, 'ansible.cfg.in'), 'utf8').replaceAll('@DIR@', d).replaceAll('@FORKS@', String(FORKS));
  writeFileSync(join(d, 'ansible.cfg'), text);
  // the json callback: per-play times for the stage table, the recap and the changed tasks
  return { env: { ANSIBLE_CONFIG: join(d, 'ansible.cfg'), ANSIBLE_NOCOLOR: '1', ANSIBLE_HOME: join(d, 'home'), ANSIBLE_STDOUT_CALLBACK: 'ansible.posix.json' }, text, cp };
}

/** Stop the ControlPersist masters this bench started (by their control sockets: `ssh -O exit`). */
function closeMasters(cp: string): void {
  if (!existsSync(cp)) return;
  for (const s of readdirSync(cp)) spawnSync('ssh', ['-o', `ControlPath=${join(cp, s)}`, '-O', 'exit', 'x'], { stdio: 'ignore', timeout: 5000 });
}

interface Run { tool: 'k' | 'a'; m: Measured; changed: number; ok: number; stages: number[]; changedTasks: string[]; profile?: ReturnType<typeof remoteProfile> }

/** A run's recap and stage times from its JSON output (kvplay --json, Ansible's json callback); it must have succeeded everywhere. */
function checked(label: string, tool: 'k' | 'a', m: Measured, log: string[], hosts = HOSTS.length): Run {
  let r: Recap;
  let stages: number[];
  let changedTasks: string[];
  let profile: Run['profile'];
  try {
    if (tool === 'k') {
      const ev = parseEvents(m.stdout);
      [r, stages, changedTasks] = [kvplayRecap(ev), kvplayStageMs(ev), kvplayChanged(ev)];
      if (ev.some((e) => e.timing)) profile = remoteProfile(ev);
    } else {
      const doc = parseAnsibleJson(m.stdout);
      [r, stages, changedTasks] = [ansibleRecap(doc), ansibleStageMs(doc), ansibleChanged(doc)];
    }
  } catch (e) {
    throw new Error(`${label}: exit ${m.code}, output not understood (${(e as Error).message})\n${m.stdout.slice(-3000)}\n${m.stderr.slice(-2000)}`);
  }
  if (m.code !== 0 || r.hosts !== hosts || r.failed || r.unreachable) {
    throw new Error(`${label}: exit ${m.code}, recap ${JSON.stringify(r)}\n${m.stdout.slice(-3000)}\n${m.stderr.slice(-2000)}`);
  }
  log.push(`${label}: ${fmtMs(m.wallMs)}, ok=${r.ok} changed=${r.changed}`);
  return { tool, m, changed: r.changed, ok: r.ok, stages, changedTasks, ...(profile ? { profile } : {}) };
}

const ratioText = (k: number, a: number) => (Number.isFinite(k) && Number.isFinite(a) && k > 0 ? `${(a / k).toFixed(1)}x` : '-');

function row(label: string, runs: Run[], f: (m: Measured) => number, fmt: (x: number) => string): string[] {
  const xs = (t: 'k' | 'a') => runs.filter((r) => r.tool === t).map((r) => f(r.m)).filter(Number.isFinite);
  const cell = (v: number[]) => (v.length ? `${fmt(median(v))} (${fmt(min(v))}–${fmt(max(v))})` : '-');
  const k = xs('k');
  const a = xs('a');
  const ratio = k.length && a.length ? median(k) / median(a) : NaN;
  return [label, cell(k), cell(a), Number.isFinite(ratio) ? `${ratio.toFixed(3)} (1/${(1 / ratio).toFixed(1)})` : '-'];
}

function results(title: string, runs: Run[]): void {
  const n = (t: 'k' | 'a') => runs.filter((r) => r.tool === t).length;
  const changed = (t: 'k' | 'a') => [...new Set(runs.filter((r) => r.tool === t).map((r) => r.changed))].join('/') || '-';
  console.log(`\nRESULTS ${title}; median (min–max) of ${n('k')} kvplay / ${n('a')} ansible-playbook runs`);
  console.log(table([
    ['', 'kvplay', 'ansible-playbook', 'kvplay/ansible'],
    row('wall time', runs, (m) => m.wallMs, fmtMs),
    row('CPU user+sys (child tree)', runs, (m) => m.cpuMs, fmtMs),
    row('  user', runs, (m) => m.userMs, fmtMs),
    row('  sys', runs, (m) => m.sysMs, fmtMs),
    row('peak RSS (tree sum, 10 Hz)', runs, (m) => m.treeRssKiB, fmtMiB),
    row('machine CPU (all procs, lab too)', runs, (m) => m.machineCpuMs, fmtMs),
  ]));
  console.log(`  what the runs did: kvplay changed=${changed('k')} per run, ansible-playbook changed=${changed('a')} per run (sum over the 3 hosts)`);
}

/**
 * Per stage: median wall of each tool, Ansible/kvplay, and (from kvplay runs made with -vvv, or
 * `profile`) the floor and kvplay's own share. Start-up and end: the process wall outside the stages.
 */
function stageTable(runs: Run[], profile?: StageProfile[]): { rows: string[][]; k: number[]; a: number[] } {
  const per = (t: 'k' | 'a', i: number) => median(runs.filter((r) => r.tool === t).map((r) => r.stages[i]).filter((x) => Number.isFinite(x)));
  const outside = (t: 'k' | 'a') => median(runs.filter((r) => r.tool === t).map((r) => r.m.wallMs - r.stages.reduce((x, y) => x + y, 0)));
  const k = STAGES.map((_, i) => per('k', i));
  const a = STAGES.map((_, i) => per('a', i));
  const rows = [['stage', 'kvplay', 'ansible', 'ansible/kvplay', 'floor (remote)', 'kvplay - floor']];
  STAGES.forEach((st, i) => {
    const p = profile?.[i];
    rows.push([st, fmtMs(k[i]), fmtMs(a[i]), ratioText(k[i], a[i]), p ? fmtMs(p.floorMs) : '-', p ? fmtMs(k[i] - p.floorMs) : '-']);
  });
  rows.push(['start-up + end (outside the plays)', fmtMs(outside('k')), fmtMs(outside('a')), '', '', '']);
  const wall = (t: 'k' | 'a') => median(runs.filter((r) => r.tool === t).map((r) => r.m.wallMs));
  const floor = profile ? profile.reduce((x, p) => x + p.floorMs, 0) : NaN;
  rows.push(['total (process wall)', fmtMs(wall('k')), fmtMs(wall('a')), ratioText(wall('k'), wall('a')), fmtMs(floor), fmtMs(wall('k') - floor)]);
  return { rows, k, a };
}

/** Where each stage's remote time goes (categories of bench/stages.ts), median over the profiled runs. */
function categoryTable(profiles: StageProfile[][]): string[][] {
  const cats = [...new Set(profiles.flatMap((ps) => ps.flatMap((p) => Object.keys(p.byCategory))))].sort();
  const rows = [['stage', 'wall', 'floor', ...cats, 'kvplay own']];
  STAGES.forEach((st, i) => {
    const m = (f: (p: StageProfile) => number) => median(profiles.map((ps) => (ps[i] ? f(ps[i]) : NaN)).filter(Number.isFinite));
    rows.push([st, fmtMs(m((p) => p.wallMs)), fmtMs(m((p) => p.floorMs)), ...cats.map((c) => fmtMs(m((p) => p.byCategory[c] ?? 0))), fmtMs(m((p) => p.wallMs - p.floorMs))]);
  });
  return rows;
}

function printTop(profile: NonNullable<Run['profile']>, n = 15): void {
  console.log(`\nslowest remote round trips of that run (ms; exec = one command, probe = a module's facts in one round trip; SSH connects ahead: slowest ${fmtMs(profile.connectMs)}):`);
  console.log(table([['ms', 'stage', 'host', 'task', 'what', 'command'], ...topCommands(profile.cmds, n).map((c) => [c.ms.toFixed(0), c.stage, c.host, c.task.slice(0, 48), c.what, c.cmd.slice(0, 90)])]));
}

function target(ok: boolean, text: string): string {
  return `  [${ok ? 'PASS' : 'MISS'}] ${text}`;
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'kvplay-runs': { type: 'string', default: '5' },
      'ansible-runs': { type: 'string', default: '3' },
      'first-runs': { type: 'string', default: '2' },
      'no-ansible': { type: 'boolean' },
      'skip-nochange': { type: 'boolean' },
      'skip-first': { type: 'boolean' },
      'no-reset': { type: 'boolean' },
      keep: { type: 'boolean' },
    },
  });
  const dir = benchDir('kvplay-benchlab-');
  const cps: string[] = [];
  console.log(`kvplay lab benchmark ${new Date().toISOString()}: ${cpus().length} cores, ${cpus()[0]?.model ?? '?'}, node ${process.version}`);
  // the lab is shared: the lab tests' lock (test/virt/helpers.ts), so no test resets it under the bench
  console.log('waiting for the lab-tests lock (/run/kvplay-lab-tests.lock) ...');
  await lockLab(60 * 60_000);
  console.log('lab up ...');
  lab(['up']);
  const inv = lab(['status']).match(/inventory: (\S+)/)?.[1] ?? '/var/lib/kvplay/lab/inventory.yaml';
  let ansible = values['no-ansible'] ? null : ensureAnsible(['ansible.posix.firewalld', 'community.crypto.openssh_keypair']);
  let why = values['no-ansible'] ? '--no-ansible' : ansible ? ensurePython() : 'ansible-playbook (with the ansible.posix and community.crypto collections) not installable';
  if (why) ansible = null;
  console.log(`ansible: ${ansible ?? `not run (${why})`}; inventory ${inv}; temp dir ${dir}; load average ${load()}`);
  const kvArgs = [KV_PLAYBOOK, '-i', inv, '--json'];
  const anArgs = [AN_PLAYBOOK, '-i', inv];
  const kv = (extra: string[] = []) => kvplayRun([...kvArgs, ...extra]);
  let cfgShown = false;
  const an = (name: string) => {
    const c = ansibleEnv(dir, name);
    cps.push(c.cp);
    if (!cfgShown) {
      cfgShown = true;
      console.log(`ansible settings (ansible.cfg from bench/ansible/ansible.cfg.in; gather_facts: false in every play; stdout callback ansible.posix.json):\n  ${c.text.trim().split('\n').filter((l) => !l.startsWith('#')).join('\n  ')}`);
    }
    return c;
  };
  const anRun = (c: { env: Record<string, string> }, extra: string[] = []) => measure('ansible-playbook', [...anArgs, ...extra], { env: c.env });
  const reset = () => {
    for (const cp of cps) closeMasters(cp); // masters to the old containers would hang
    const t0 = Date.now();
    lab(['reset']);
    return Date.now() - t0;
  };
  console.log(`kvplay: ${['bin/kvplay.js', ...kvArgs].join(' ').replaceAll(ROOT + '/', '')} (default forks; one more run with -vvv for the floor)`);
  console.log(`ansible-playbook: ${['ansible-playbook', ...anArgs].join(' ').replaceAll(ROOT + '/', '')} (forks ${FORKS}; first runs: --tags ${ANSIBLE_FIRST_TAGS})`);
  const targets: string[] = [];
  try {
    if (!values['skip-nochange']) {
      console.log('\n== b. no-change run of every stage (the guest already on its target) ==');
      const blog: string[] = [];
      if (!values['no-reset']) {
        blog.push(`lab reset: ${fmtMs(reset())}`);
        checked('kvplay converge (fresh lab: packages, services, guest created and migrated)', 'k', await kv(), blog);
      } else checked('kvplay converge (--no-reset: the lab as it is)', 'k', await kv(), blog);
      const warm = ansible ? an('nochange') : undefined;
      if (warm) {
        const a = checked('ansible converge on top of kvplay', 'a', await anRun(warm), blog);
        blog.push(a.changedTasks.length ? `  end states DIFFER: ansible changed ${a.changedTasks.join('; ')}` : '  end states agree: ansible-playbook changed nothing on the kvplay-converged lab');
        const k = checked('kvplay after ansible', 'k', await kv(), blog);
        if (k.changed) blog.push(`  kvplay changed after ansible: ${k.changedTasks.join('; ')}`);
      }
      const runs: Run[] = [];
      const order = schedule(Number(values['kvplay-runs']), warm ? Number(values['ansible-runs']) : 0);
      let i = 0;
      for (const slot of order) {
        i++;
        if (slot === 'k') runs.push(checked(`#${i} kvplay`, 'k', await kv(), blog));
        else runs.push(checked(`#${i} ansible-playbook`, 'a', await anRun(warm!), blog));
      }
      const prof = checked('kvplay -vvv (untimed: remote round trips for the floor)', 'k', await kv(['-vvv']), blog);
      console.log(`run order: ${order.join(' ')} (k = kvplay, a = ansible-playbook); load average after: ${load()}`);
      console.log(blog.map((l) => `  ${l}`).join('\n'));
      results('b. no-change run of every stage of site.yaml (3 lab hosts)', runs);
      const st = stageTable(runs, prof.profile?.stages);
      console.log(`\nper stage (median wall of the timed runs; floor and kvplay - floor from the -vvv run):`);
      console.log(table(st.rows));
      if (prof.profile) printTop(prof.profile);
      const wallK = median(runs.filter((r) => r.tool === 'k').map((r) => r.m.wallMs));
      targets.push(target(wallK <= TARGET_WALL_MS, `whole site.yaml no-change run <= ${fmtMs(TARGET_WALL_MS)}: ${fmtMs(wallK)} (median, process wall)`));
      if (warm) {
        const stagesK = st.k.reduce((x, y) => x + y, 0);
        const stagesA = st.a.reduce((x, y) => x + y, 0);
        const wallA = median(runs.filter((r) => r.tool === 'a').map((r) => r.m.wallMs));
        targets.push(target(wallA / wallK >= TARGET_RATIO, `the same stages >= ${TARGET_RATIO}x faster than ansible-playbook: ${ratioText(wallK, wallA)} (process wall), ${ratioText(stagesK, stagesA)} (sum of the stages)`));
      }
    }
    if (!values['skip-first']) {
      console.log('\n== c. first run from a reset lab ==');
      const clog: string[] = [];
      const runs: Run[] = [];
      const n = Number(values['first-runs']);
      const order = ansible ? Array.from({ length: n }, (_, j) => (j % 2 ? ['a', 'k'] : ['k', 'a']) as ('k' | 'a')[]).flat() : Array(n).fill('k');
      let i = 0;
      for (const slot of order) {
        i++;
        const r = reset();
        // kvplay with -vvv: a first run is remote work (apt, services, guest boot, migration); its timing events cost ~nothing
        if (slot === 'k') runs.push(checked(`#${i} kvplay converge -vvv (reset ${fmtMs(r)})`, 'k', await kv(['-vvv']), clog));
        else {
          // a fresh control_path_dir: a first run has no warm ControlPersist master (kvplay none either)
          const c = an(`first-${i}`);
          runs.push(checked(`#${i} ansible converge --tags ${ANSIBLE_FIRST_TAGS} (reset ${fmtMs(r)})`, 'a', await anRun(c, ['--tags', ANSIBLE_FIRST_TAGS]), clog));
        }
      }
      console.log(`run order: ${order.join(' ')} (lab reset before each); load average after: ${load()}`);
      console.log(clog.map((l) => `  ${l}`).join('\n'));
      results(`c. first run from a reset lab (kvplay: every stage; ansible-playbook: ${ANSIBLE_FIRST_TAGS})`, runs);
      const profiles = runs.filter((r) => r.tool === 'k' && r.profile).map((r) => r.profile!.stages);
      console.log('\nper stage (median wall; ansible/kvplay on the stages both run; floor from kvplay\'s -vvv runs):');
      console.log(table(stageTable(runs, profiles[0]).rows));
      console.log('\nwhere kvplay\'s first run goes, per stage (median ms of the remote critical path by kind of work; "kvplay own" = wall - floor):');
      console.log(table(categoryTable(profiles)));
      const last = runs.filter((r) => r.tool === 'k' && r.profile).pop();
      if (last?.profile) printTop(last.profile, 12);
    }
    console.log(`\nsettings: ansible pipelining on, ControlPersist 600s (b: masters warm from the converge; c: a new control dir per run), forks ${FORKS}, gathering explicit; kvplay default forks; both read ${inv}`);
    if (targets.length) console.log(`\nTARGETS (issue 14):\n${targets.join('\n')}`);
    return 0;
  } finally {
    for (const cp of cps) closeMasters(cp);
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
    unlockLab();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then((c) => process.exit(c), (e) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exit(1);
  });
}
