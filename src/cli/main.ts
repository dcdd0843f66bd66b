/** `kvplay PLAYBOOK [options]` and `kvplay lab ...`. */
import { resolve } from 'node:path';
import { homedir } from 'node:os';
import { existsSync } from 'node:fs';
import { parseCli, parseExtraVars, USAGE, type CliOptions } from './args.js';
import { loadAnsibleCfg, type AnsibleCfg } from './ansiblecfg.js';
import { errMessage, InputError, InputErrors } from '../util/errors.js';
import type { Inventory } from '../inventory/index.js';
import type { Reporter } from '../report/events.js';
import { askHidden, askLine } from './prompt.js';
// the rest (./pipeline.js: loader, engine, reporter) is imported where it is used, so --version,
// --help and --doc start without loading it (a chunk of the bundle: scripts/bundle.mjs)

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'lab') {
    const { labMain } = await import('../lab/index.js');
    return labMain(argv.slice(1), { lab: process.env.KVPLAY_LAB });
  }
  if (argv[0] === 'report') {
    const { reportMain } = await import('./report.js');
    return reportMain(argv.slice(1));
  }
  let opts: CliOptions;
  let cfg: AnsibleCfg;
  try {
    cfg = loadAnsibleCfg({ env: process.env, cwd: process.cwd(), home: homedir() });
  } catch (e) {
    process.stderr.write(`ERROR! ${e instanceof InputError ? e.format() : errMessage(e)}\n`);
    return 1;
  }
  try {
    opts = parseCli(argv, cfg.settings, { deferExtraVars: true });
  } catch (e) {
    process.stderr.write(`ERROR! ${e instanceof InputError ? e.format() : errMessage(e)}\n${USAGE}\n`);
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
    const { moduleNames, moduleMeta } = await import('../engine/module/registry.js');
    for (const n of moduleNames()) process.stdout.write(`${n.padEnd(14)} ${moduleMeta(n)?.doc ?? ''}\n`);
    return 0;
  }
  if (opts.doc) {
    const { docOrHint } = await import('./doc.js');
    const d = docOrHint(opts.doc);
    (d.ok ? process.stdout : process.stderr).write(d.text + '\n');
    return d.ok ? 0 : 1;
  }
  if (!opts.playbook) {
    process.stderr.write(`ERROR! no playbook given\n${USAGE}\n`);
    return 1;
  }
  if (opts.step && !process.stdin.isTTY) {
    process.stderr.write(`ERROR! ${new InputError('--step asks before each task: it needs a terminal on stdin, and stdin is not a terminal', { file: '<--step>', line: 1, col: 1 }, 'run it from a terminal; to start at a given task without questions, use --start-at-task NAME').format()}\n`);
    return 1;
  }
  for (const w of cfg.warnings) process.stderr.write(`[WARNING]: ${w}\n`);
  if (cfg.ignored.length) process.stderr.write(`kvplay ignores these ansible.cfg keys: ${cfg.ignored.join(', ')} (${cfg.file})\n`);
  const secrets = new Set<string>();
  const { createReporter } = await import('./pipeline.js');
  const reporter = createReporter({
    // --step asks between tasks: plain lines, not a live display the question would tear
    mode: opts.json ? 'json' : opts.step ? 'plain' : 'auto',
    verbosity: opts.verbosity as 0 | 1 | 2 | 3,
    diff: opts.diff,
    reportFile: opts.report,
    reportHtmlFile: opts.reportHtml,
    secrets: () => [...secrets],
    out: process.stdout,
    err: process.stderr,
    env: process.env,
  });
  let code = 1;
  try {
    code = await runCli(opts, reporter, secrets, cfg.file);
  } catch (e) {
    reportError(reporter, e);
    code = 1;
  }
  try {
    await reporter.close();
  } catch (e) {
    process.stderr.write(`ERROR! could not write the report: ${errMessage(e)}\n`);
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

/**
 * The inventory: -i, else the lab's when it is up (--lab NAME, else KVPLAY_LAB, else the default
 * lab), else the implicit localhost. A lab asked for by name must be up.
 */
async function pickInventory(opts: CliOptions, playbookDir: string, reporter: Reporter): Promise<Inventory> {
  const { loadInventory } = await import('./pipeline.js');
  const where = { file: '<command line>', line: 1, col: 1 };
  if (opts.lab !== undefined && opts.inventory.length)
    throw new InputError('--lab and -i both name the inventory', where, 'give one of them');
  if (opts.inventory.length > 1) reporter.emit({ kind: 'warning', msg: 'several -i given: kvplay uses the first one only' });
  if (opts.inventory.length) return loadInventory(resolve(opts.inventory[0]), { extraVarDirs: [playbookDir] });
  const { labInventoryPath, LabError } = await import('../lab/index.js');
  const name = opts.lab ?? (process.env.KVPLAY_LAB || undefined);
  const from = opts.lab !== undefined ? '--lab' : 'KVPLAY_LAB';
  let lab: string | null;
  try {
    lab = labInventoryPath(name);
  } catch (e) {
    if (e instanceof LabError) throw new InputError(`${from}: ${e.message}`, where, e.hint ?? 'see `kvplay lab list`');
    throw e;
  }
  if (name !== undefined && !lab)
    throw new InputError(`${from}: lab ${name} is not up`, where, `start it with \`kvplay lab up --name ${name}\` (labs here: \`kvplay lab list\`)`);
  if (lab && existsSync(lab)) {
    reporter.emit({ kind: 'warning', msg: `no -i given: using ${name ? `lab ${name}'s` : "the local lab's"} inventory ${lab}` });
    return loadInventory(lab, { extraVarDirs: [playbookDir] });
  }
  reporter.emit({ kind: 'warning', msg: 'no -i given and the lab is not up: only localhost is available (start the lab with `kvplay lab up`)' });
  return loadInventory(undefined, { extraVarDirs: [playbookDir] });
}

/**
 * The vault passwords (--vault-id, --vault-password-file, ansible.cfg, --ask-vault-pass) given to
 * the YAML loader before anything is loaded; decrypted values join the run's secrets.
 */
async function setupVault(opts: CliOptions, reporter: Reporter, secrets: Set<string>): Promise<void> {
  const { loadVaultSecrets, VaultKeyring, VaultSourceError, setYamlVault } = await import('./pipeline.js');
  let list;
  try {
    list = await loadVaultSecrets(
      { vaultIds: opts.vaultIds, passwordFiles: opts.vaultPasswordFiles, askVaultPass: opts.askVaultPass },
      (prompt) =>
        askHidden(prompt, 'asking for the vault password needs a terminal').catch((e: Error) => {
          throw new VaultSourceError(e.message, 'give the password in a file instead: --vault-password-file FILE');
        }),
      (msg) => reporter.emit({ kind: 'warning', msg }),
    );
  } catch (e) {
    if (e instanceof VaultSourceError) throw new InputError(e.message, { file: '<command line>', line: 1, col: 1 }, e.hint ?? 'check --vault-password-file / --vault-id (and vault_password_file in ansible.cfg)');
    throw e;
  }
  for (const s of list) secrets.add(s.password.toString('utf8'));
  setYamlVault(list.length ? new VaultKeyring(list, (v) => secrets.add(v)) : undefined);
}

async function runCli(opts: CliOptions, reporter: Reporter, secrets: Set<string>, configFile: string | undefined): Promise<number> {
  const { loadPlaybook, checkUndefined, knownNames, undefinedInConnVars, newRunState, runFlags, runPlaybook, listPlaybook, onInterrupt } = await import('./pipeline.js');
  await setupVault(opts, reporter, secrets);
  opts.extraVars = parseExtraVars(opts.extraVarsRaw);
  const rolesPath = [...opts.rolesPath, ...(process.env.KVPLAY_ROLES_PATH ?? '').split(':').filter(Boolean)];
  const pb = loadPlaybook(opts.playbook!, { rolesPath: rolesPath.map((p) => resolve(p)) });
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
  if (opts.limit !== undefined) {
    // as ansible-playbook: a --limit that leaves no host of the inventory is an error (exit 1), not an empty run
    const where = { file: '<--limit>', line: 1, col: 1 };
    if (!inv.match(opts.limit, where).length && inv.hosts.length) {
      throw new InputError(`Specified hosts and/or --limit does not match any hosts (--limit ${JSON.stringify(opts.limit)})`, where, `hosts of the inventory: ${inv.hosts.slice(0, 8).join(', ')}${inv.hosts.length > 8 ? ', ...' : ''}`);
    }
  }
  const invNames = new Set<string>();
  for (const h of inv.hosts) for (const k of Object.keys(inv.hostVars(h))) invNames.add(k);
  // what Ansible only meets when (and if) a task runs: said now, and the task fails when it runs
  const warnings = [...pb.warnings];
  errs.push(...checkUndefined(pb, invNames, Object.keys(opts.extraVars), warnings));
  const known = knownNames(pb, invNames, Object.keys(opts.extraVars));
  if (known) errs.push(...undefinedInConnVars(inv, known));
  if (errs.length) throw new InputErrors(errs);
  for (const w of warnings) reporter.emit({ kind: 'warning', msg: w.message + (w.hint ? ` (${w.hint})` : ''), loc: w.loc ? `${w.loc.file}:${w.loc.line}:${w.loc.col}` : undefined });
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
    ...runFlags(opts),
    knownHostsFiles: [resolve(homedir(), '.ssh/known_hosts'), ...opts.knownHosts.map((f) => resolve(f))],
    becomePassword,
    privateKeyFile: opts.privateKey,
    connectTimeoutMs: opts.timeout !== undefined ? opts.timeout * 1000 : undefined,
    connectParallel: Number(process.env.KVPLAY_CONNECT_PARALLEL) || undefined,
    agentSocket: process.env.SSH_AUTH_SOCK || undefined,
    configFile,
    askStep: (prompt) => askLine(prompt, '--step needs a terminal on stdin'),
    // vars_prompt asks only on a terminal (as Ansible: without one, the defaults)
    ...(process.stdin.isTTY ? { askVar: (prompt: string, hidden: boolean) => (hidden ? askHidden(prompt) : askLine(prompt)) } : {}),
  }, reporter, pb.dir);
  run.secrets = secrets;
  reporter.emit({ kind: 'run_start', playbook: pb.file, inventory: inv.file ?? '(implicit localhost)', check: opts.check, diff: opts.diff, time: new Date().toISOString() });
  const stopInterrupts = onInterrupt(run, reporter);
  try {
    return await runPlaybook(run, pb, inv);
  } finally {
    stopInterrupts();
  }
}
