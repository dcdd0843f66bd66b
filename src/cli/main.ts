/** `kvplay PLAYBOOK [options]` and `kvplay lab ...`. */
import { resolve } from 'node:path';
import { homedir } from 'node:os';
import { existsSync } from 'node:fs';
import { parseCli, USAGE, type CliOptions } from './args.js';
import { InputError, InputErrors } from '../util/errors.js';
import { loadPlaybook } from '../playbook/load.js';
import { checkUndefined } from '../playbook/undefined.js';
import { loadInventory, type Inventory } from '../inventory/index.js';
import { createReporter } from '../report/index.js';
import { newRunState, runPlaybook } from '../engine/run.js';
import { listPlaybook } from './list.js';
import { moduleNames, getModule } from '../modules/index.js';
import type { Reporter } from '../report/events.js';
import { askHidden } from './prompt.js';
import { docOrHint } from './doc.js';

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'lab') {
    const { labMain } = await import('../lab/index.js');
    return labMain(argv.slice(1));
  }
  let opts: CliOptions;
  try {
    opts = parseCli(argv);
  } catch (e: any) {
    process.stderr.write(`ERROR! ${e instanceof InputError ? e.format() : e.message}\n${USAGE}\n`);
    return 1;
  }
  if (opts.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (opts.version) {
    process.stdout.write('kvplay 0.1.0\n');
    return 0;
  }
  if (opts.listModules) {
    for (const n of moduleNames()) process.stdout.write(`${n.padEnd(14)} ${getModule(n)?.doc ?? ''}\n`);
    return 0;
  }
  if (opts.doc) {
    const d = docOrHint(opts.doc);
    (d.ok ? process.stdout : process.stderr).write(d.text + '\n');
    return d.ok ? 0 : 1;
  }
  if (!opts.playbook) {
    process.stderr.write(`ERROR! no playbook given\n${USAGE}\n`);
    return 1;
  }
  const secrets = new Set<string>();
  const reporter = createReporter({
    mode: opts.json ? 'json' : 'auto',
    verbosity: opts.verbosity as 0 | 1 | 2 | 3,
    diff: opts.diff,
    reportFile: opts.report,
    secrets: () => [...secrets],
  });
  let code = 1;
  try {
    code = await runCli(opts, reporter, secrets);
  } catch (e) {
    reportError(reporter, e);
    code = 1;
  }
  try {
    await reporter.close();
  } catch (e: any) {
    process.stderr.write(`ERROR! could not write the report: ${e?.message ?? e}\n`);
    if (code === 0) code = 1;
  }
  return code;
}

function reportError(reporter: Reporter, e: unknown): void {
  const list = e instanceof InputErrors ? e.errors : e instanceof InputError ? [e] : null;
  if (list) {
    for (const x of list) reporter.emit({ kind: 'error', msg: x.message, loc: x.loc ? `${x.loc.file}:${x.loc.line}:${x.loc.col}` : undefined, hint: x.hint });
    reporter.emit({ kind: 'run_end', exitCode: 1, durationMs: 0 });
  } else {
    reporter.emit({ kind: 'error', msg: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    reporter.emit({ kind: 'run_end', exitCode: 1, durationMs: 0 });
  }
}

/** The inventory: -i, else the lab's when it is up, else the implicit localhost. */
async function pickInventory(opts: CliOptions, playbookDir: string, reporter: Reporter): Promise<Inventory> {
  if (opts.inventory.length > 1) reporter.emit({ kind: 'warning', msg: 'several -i given: kvplay uses the first one only' });
  if (opts.inventory.length) return loadInventory(resolve(opts.inventory[0]), { extraVarDirs: [playbookDir] });
  const { labInventoryPath } = await import('../lab/index.js');
  const lab = labInventoryPath();
  if (lab && existsSync(lab)) {
    reporter.emit({ kind: 'warning', msg: `no -i given: using the local lab's inventory ${lab}` });
    return loadInventory(lab, { extraVarDirs: [playbookDir] });
  }
  reporter.emit({ kind: 'warning', msg: 'no -i given and the lab is not up: only localhost is available (start the lab with `kvplay lab up`)' });
  return loadInventory(undefined, { extraVarDirs: [playbookDir] });
}

async function runCli(opts: CliOptions, reporter: Reporter, secrets: Set<string>): Promise<number> {
  const pb = loadPlaybook(opts.playbook!);
  const inv = await pickInventory(opts, pb.dir, reporter);
  for (const w of inv.warnings) reporter.emit({ kind: 'warning', msg: w.message + (w.hint ? ` (${w.hint})` : ''), loc: w.loc ? `${w.loc.file}:${w.loc.line}:${w.loc.col}` : undefined });
  // host patterns are checked before any host is contacted
  const errs: InputError[] = [];
  for (const p of pb.plays) {
    if (p.hosts.includes('{{')) continue;
    try {
      inv.match(p.hosts, p.hostsLoc);
    } catch (e) {
      if (e instanceof InputError) errs.push(e);
      else throw e;
    }
  }
  if (opts.limit) inv.match(opts.limit, { file: '<--limit>', line: 1, col: 1 });
  const invNames = new Set<string>();
  for (const h of inv.hosts) for (const k of Object.keys(inv.hostVars(h))) invNames.add(k);
  errs.push(...checkUndefined(pb, invNames, Object.keys(opts.extraVars)));
  if (errs.length) throw new InputErrors(errs);
  if (opts.syntaxCheck) {
    process.stdout.write(`\nplaybook: ${pb.file}\n`);
    return 0;
  }
  if (opts.listHosts || opts.listTasks || opts.listTags) {
    listPlaybook(pb, inv, opts, reporter);
    return 0;
  }
  let becomePassword = process.env.KVPLAY_BECOME_PASSWORD || undefined;
  if (opts.askBecomePass && !becomePassword) becomePassword = await askHidden('BECOME password: ');
  if (becomePassword) secrets.add(becomePassword);
  const run = newRunState(inv, {
    check: opts.check,
    diff: opts.diff,
    limit: opts.limit,
    tags: opts.tags,
    skipTags: opts.skipTags,
    extraVars: opts.extraVars,
    forks: opts.forks,
    verbosity: opts.verbosity,
    knownHostsFiles: [resolve(homedir(), '.ssh/known_hosts'), ...opts.knownHosts.map((f) => resolve(f))],
    acceptNewHostKeys: opts.acceptNewHostKeys,
    becomePassword,
    become: opts.become,
    user: opts.user,
  }, reporter, pb.dir);
  run.secrets = secrets;
  reporter.emit({ kind: 'run_start', playbook: pb.file, inventory: inv.file ?? '(implicit localhost)', check: opts.check, diff: opts.diff, time: new Date().toISOString() });
  return runPlaybook(run, pb, inv);
}
