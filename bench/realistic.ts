/**
 * `npm run bench:lab`: kvplay vs ansible-playbook on the lab (bench/README.md, "Realistic"): the
 * storage/firewall/bridge/ssh-trust stages of playbooks/site.yaml (kvplay, --tags
 * nfs,storage,bridge,ssh_trust) against bench/ansible/site.yaml (the same end state with
 * ansible.builtin/ansible.posix/community.crypto modules), on the lab's 3 containers.
 *   b. no-change: both converge once (kvplay first, then Ansible on top: must change nothing),
 *      then alternating no-change runs;
 *   c. first run: `kvplay lab reset` before EACH timed converge, alternating the tools.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { BIN, ROOT, benchDir, ensureAnsible, fmtMiB, fmtMs, kvplayRun, max, measure, median, min, recapTotals, table, type Measured } from './lib.js';
import { schedule } from './run.js';

const TAGS = 'nfs,storage,bridge,ssh_trust';
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
  return { env: { ANSIBLE_CONFIG: join(d, 'ansible.cfg'), ANSIBLE_NOCOLOR: '1', ANSIBLE_HOME: join(d, 'home') }, text, cp };
}

/** Stop the ControlPersist masters this bench started (by their control sockets: `ssh -O exit`). */
function closeMasters(cp: string): void {
  if (!existsSync(cp)) return;
  for (const s of readdirSync(cp)) spawnSync('ssh', ['-o', `ControlPath=${join(cp, s)}`, '-O', 'exit', 'x'], { stdio: 'ignore', timeout: 5000 });
}

interface Run { tool: 'k' | 'a'; m: Measured; changed: number; ok: number }

function checked(label: string, tool: 'k' | 'a', m: Measured, log: string[]): Run {
  const r = recapTotals(m.stdout);
  if (m.code !== 0 || r.hosts !== HOSTS.length || r.failed || r.unreachable) {
    throw new Error(`${label}: exit ${m.code}, recap ${JSON.stringify(r)}\n${m.stdout.slice(-3000)}\n${m.stderr.slice(-2000)}`);
  }
  log.push(`${label}: ${fmtMs(m.wallMs)}, ok=${r.ok} changed=${r.changed}`);
  return { tool, m, changed: r.changed, ok: r.ok };
}

/** Tasks reported changed (Ansible's `changed: [host]` lines under their TASK header; kvplay's the same). */
function changedTasks(stdout: string): string[] {
  const out: string[] = [];
  let task = '';
  for (const line of stdout.split('\n')) {
    const t = /^TASK \[(.*)\]/.exec(line);
    if (t) task = t[1];
    const c = /^changed: \[([^\]]+)\]/.exec(line);
    if (c) out.push(`${c[1]}: ${task}`);
  }
  return out;
}

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

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'kvplay-runs': { type: 'string', default: '5' },
      'ansible-runs': { type: 'string', default: '3' },
      'first-runs': { type: 'string', default: '3' },
      'no-ansible': { type: 'boolean' },
      'skip-nochange': { type: 'boolean' },
      'skip-first': { type: 'boolean' },
      keep: { type: 'boolean' },
    },
  });
  const dir = benchDir('kvplay-benchlab-');
  const log: string[] = [];
  const cps: string[] = [];
  console.log(`kvplay lab benchmark ${new Date().toISOString()}: ${cpus().length} cores, ${cpus()[0]?.model ?? '?'}, node ${process.version}`);
  console.log('lab up ...');
  lab(['up']);
  const inv = lab(['status']).match(/inventory: (\S+)/)?.[1] ?? '/var/lib/kvplay/lab/inventory.yaml';
  let ansible = values['no-ansible'] ? null : ensureAnsible();
  let why = values['no-ansible'] ? '--no-ansible' : ansible ? ensurePython() : 'ansible-playbook not installable';
  if (why) ansible = null;
  console.log(`ansible: ${ansible ?? `not run (${why})`}; inventory ${inv}; temp dir ${dir}; load average ${load()}`);
  const kvArgs = [KV_PLAYBOOK, '-i', inv, '--tags', TAGS];
  const anArgs = [AN_PLAYBOOK, '-i', inv];
  const kv = () => kvplayRun(kvArgs);
  let cfgShown = false;
  const an = (name: string) => {
    const c = ansibleEnv(dir, name);
    cps.push(c.cp);
    if (!cfgShown) {
      cfgShown = true;
      console.log(`ansible settings (ansible.cfg from bench/ansible/ansible.cfg.in; gather_facts: false in every play):\n  ${c.text.trim().split('\n').filter((l) => !l.startsWith('#')).join('\n  ')}`);
    }
    return c;
  };
  const reset = () => {
    for (const cp of cps) closeMasters(cp); // masters to the old containers would hang
    const t0 = Date.now();
    lab(['reset']);
    return Date.now() - t0;
  };
  console.log(`kvplay: ${['bin/kvplay.js', ...kvArgs].join(' ').replaceAll(ROOT + '/', '')} (default forks)`);
  console.log(`ansible-playbook: ${['ansible-playbook', ...anArgs].join(' ').replaceAll(ROOT + '/', '')} (forks ${FORKS})`);
  try {
    if (!values['skip-nochange']) {
      console.log('\n== b. no-change run ==');
      const blog: string[] = [];
      blog.push(`lab reset: ${fmtMs(reset())}`);
      checked('kvplay converge (fresh lab)', 'k', await kv(), blog);
      const warm = ansible ? an('nochange') : undefined;
      if (warm) {
        const a = checked('ansible converge on top of kvplay', 'a', await measure('ansible-playbook', anArgs, { env: warm.env }), blog);
        const diff = changedTasks(a.m.stdout);
        blog.push(diff.length ? `  end states DIFFER: ansible changed ${diff.join('; ')}` : '  end states agree: ansible-playbook changed nothing on the kvplay-converged lab');
        const k = checked('kvplay after ansible', 'k', await kv(), blog);
        if (k.changed) blog.push(`  kvplay changed after ansible: ${changedTasks(k.m.stdout).join('; ')}`);
      }
      const runs: Run[] = [];
      const order = schedule(Number(values['kvplay-runs']), warm ? Number(values['ansible-runs']) : 0);
      let i = 0;
      for (const slot of order) {
        i++;
        if (slot === 'k') runs.push(checked(`#${i} kvplay`, 'k', await kv(), blog));
        else runs.push(checked(`#${i} ansible-playbook`, 'a', await measure('ansible-playbook', anArgs, { env: warm!.env }), blog));
      }
      console.log(`run order: ${order.join(' ')} (k = kvplay, a = ansible-playbook); load average after: ${load()}`);
      console.log(blog.map((l) => `  ${l}`).join('\n'));
      log.push(...blog);
      results('b. no-change run of the nfs/storage/bridge/ssh_trust stages (3 lab hosts)', runs);
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
        if (slot === 'k') runs.push(checked(`#${i} kvplay converge (reset ${fmtMs(r)})`, 'k', await kv(), clog));
        else {
          // a fresh control_path_dir: a first run has no warm ControlPersist master (kvplay none either)
          const c = an(`first-${i}`);
          runs.push(checked(`#${i} ansible converge (reset ${fmtMs(r)})`, 'a', await measure('ansible-playbook', anArgs, { env: c.env }), clog));
        }
      }
      console.log(`run order: ${order.join(' ')} (lab reset before each); load average after: ${load()}`);
      console.log(clog.map((l) => `  ${l}`).join('\n'));
      results('c. first run (converge) from a reset lab of the nfs/storage/bridge/ssh_trust stages (3 lab hosts)', runs);
    }
    console.log(`\nsettings: ansible pipelining on, ControlPersist 600s (b: masters warm from the converge; c: a new control dir per run), forks ${FORKS}, gathering explicit; kvplay default forks; both read ${inv}`);
    return 0;
  } finally {
    for (const cp of cps) closeMasters(cp);
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then((c) => process.exit(c), (e) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exit(1);
  });
}
