/**
 * The module contract. A module PLANS, the engine APPLIES (pyinfra/Pulumi style):
 *   prepare (controller side: read src files, render templates)  ->
 *   facts   (commands + pure parsers, run right before planning in ONE round trip) ->
 *   plan    (pure: params + facts -> Plan) ->
 *   engine runs plan.steps (skipped in check mode) -> result() builds the registered value.
 * "changed" means the plan has steps. Action modules (debug, set_fact, pause, wait_for, ...)
 * implement `action` instead and talk to the host through ctx.transport themselves.
 */
import type { ExecResult, Become, Transport } from '../../transport/types.js';
import type { TemplateOptions } from '../../template/options.js';
import type { Diff, ProgressMetrics } from '../../report/events.js';

/** A fact: one shell command plus a pure parser of its result. Testable from recorded output. */
export interface Fact<T> {
  cmd: string;
  parse(r: ExecResult): T;
  /**
   * The output may be reused by later tasks of the run (ctx.factCache) until something may have
   * changed on any host: the engine empties the cache whenever a plan's steps run or an action
   * module that is not `readOnly` runs. Use it for state that several tasks read (a firewalld zone).
   */
  cache?: boolean;
  /**
   * Not read when the module's other facts that came from the run's cache (Fact.cache) make it
   * unnecessary: given their parsed values, true skips it, and it is parsed from an empty result
   * (code 0, no output). E.g. the firewall-cmd fallback of the firewalld module when the cached
   * zone fact shows firewalld answering on D-Bus.
   */
  skipIfCached?(cached: Record<string, unknown>): boolean;
  /**
   * --explain: what this fact checked, as a command a student would type, and what it found
   * (pure, from the parsed value); null: nothing worth telling. Without it the engine shows the
   * command with its framing stripped and a summary of the value (src/engine/explain.ts).
   */
  explain?(v: T): ExplainCheck | ExplainCheck[] | null;
}

/** --explain: one check, as plain shell (`firewall-cmd --zone=public --list-services`), and what it found. */
export interface ExplainCheck {
  cmd: string;
  found: string;
}

/** --explain: one command kvplay runs (or would run under --check), as plain shell, and why. */
export interface ExplainRun {
  cmd: string;
  why: string;
  /** its exit code, when it ran */
  rc?: number;
  /** planned but not run: an earlier command failed */
  notRun?: boolean;
}

/** --explain for one task on one host: what was checked, what runs, and the plan's reason. */
export interface Explanation {
  checked: ExplainCheck[];
  runs: ExplainRun[];
  reason: string;
  /** check mode: `runs` would run, nothing ran */
  check: boolean;
  /** the task has no_log: nothing of it is shown */
  censored?: boolean;
}

/** Where an action module tells --explain what it checked and ran (ctx.explain, only with --explain). */
export interface ExplainSink {
  check(cmd: string, found: string): void;
  run(cmd: string, why: string, rc?: number): void;
}

/** One change on the host: a POSIX sh command line (built with quote.ts), optional stdin. */
export interface Step {
  desc: string; // human text, e.g. "write /etc/exports"
  cmd: string;
  stdin?: string | Buffer;
  /** exit codes that count as success (default [0]) */
  okCodes?: number[];
  /**
   * --explain: the step as plain shell a student could type, where `cmd` is framing (temp files,
   * stdin, sections): e.g. `cat > /etc/exports <<'EOF' ... EOF`. Describes `cmd`, never replaces it.
   */
  explain?: string;
  /** names the step's result for result() (StepResult.id) */
  id?: string;
  /** a long job: `cmd` STARTS it detached, the engine polls it (see Poll) */
  poll?: Poll;
  /** what to do when this step fails: told after the error ("What to do: ...") */
  remedy?: string;
  /** pure diagnosis of this step's failure from its result (the stage it failed at, the error, the remedy) */
  failure?(r: StepResult): StepFailure;
  /** does not change the host's state (a work directory, a probe): a later failing step reports no change */
  housekeeping?: true;
  /** show the step's desc as the task's progress (fraction 0..1) when it starts */
  progress?: number;
}

/** How a failed step is told: `DESC failed at: AT: ERROR. STATE. What to do: REMEDY` (src/engine/steps.ts). */
export interface StepFailure {
  at?: string;
  error?: string;
  remedy?: string;
}

/**
 * A long job on the host (a live migration, a disk copy). The step's `cmd` starts it detached and
 * returns at once; the engine then runs `cmd` below every `intervalMs`, reports `parse`'s progress,
 * after `timeoutMs` runs `abort` once (the job must then end by itself; polling goes on, at most
 * `abortGraceMs` more), and when the job ended runs `finish`: ITS result is the step's (exit code:
 * the job's). src/engine/steps.ts runs it.
 */
export interface Poll {
  cmd: string;
  parse(r: ExecResult): PollSample;
  intervalMs: number;
  timeoutMs?: number;
  abort?: string;
  /** default 60 s */
  abortGraceMs?: number;
  finish: string;
}

export interface PollSample {
  done: boolean;
  progress?: { text: string; fraction?: number; metrics?: ProgressMetrics };
}

/** The outcome of one Step: its ExecResult, and when it started and ended (controller clock, epoch ms with a fraction). */
export interface StepResult extends ExecResult {
  startedAt?: number;
  endedAt?: number;
  /** Step.id */
  id?: string;
  /** a polled job: its last progress text */
  lastProgress?: string;
}

/**
 * Read after the steps ran, also after one failed: did it work, and where things are now.
 * `judge` is pure: `error` fails a run whose steps all succeeded; `state` is told in a failed
 * step's message; `done` is the task's reason after a verified run (what was done, measured).
 */
export interface Verify<P, F> {
  facts(params: P, facts: F): Record<string, Fact<unknown>>;
  judge(params: P, facts: F, after: Record<string, unknown>, results: StepResult[], ctx: PlanCtx): { error?: string; state: string; done?: string };
}

export type Plan =
  | { kind: 'ok'; reason: string; result?: Record<string, unknown> }
  | {
      kind: 'change';
      reason: string;
      steps: Step[];
      diff?: Diff[];
      result?: Record<string, unknown>;
      /** run after the steps whatever happened (stop a probe, remove a work directory); failures only logged */
      cleanup?: Step[];
      /**
       * false: the steps run but the task reports ok, as Ansible does for housekeeping that is no
       * change of the host's state (apt refreshing its cache before finding every package installed).
       */
      changed?: false;
    };

/** Everything a module may use. No globals: all of it travels here. */
export interface ModuleCtx {
  host: string; // inventory hostname
  /** gathered facts (ansible_facts.*: os_family, distribution, pkg_mgr, service_mgr, ...) — may be {} when gather_facts: false */
  facts: Record<string, unknown>;
  /** all variables visible to the task (after templating) */
  vars: Record<string, unknown>;
  check: boolean;
  diff: boolean;
  become: Become | null;
  transport: Transport;
  /** Resolve a controller-side file for `src:` (kind 'files'), a template (kind 'templates') or a vars file/dir (kind 'vars', include_vars); absolute path, or throws InputError. */
  findFile(kind: 'files' | 'templates' | 'vars', path: string): string;
  /**
   * Render the text of a template file with the task's variables, as Ansible's template action does
   * (`#jinja2:` header, line ends, trailing newlines; Jinja2 options: Ansible's unless `opts`). `file` is for error messages.
   */
  render(text: string, file: string, opts?: TemplateOptions): string;
  /** Evaluate a bare Jinja expression (debug var:, assert that:) with the task's variables. */
  evalExpr(expr: string): unknown;
  /** Outputs of cacheable facts (Fact.cache), shared by the run; see Fact.cache. */
  factCache?: Map<string, ExecResult>;
  /** Report progress of a long action (progress bar in the reporter); `metrics`: its numbers, for charts. */
  progress(text: string, fraction?: number, metrics?: ProgressMetrics): void;
  /** Progress/log line for -v output (never pass secrets). */
  log(msg: string): void;
  /** Set only with --explain: action modules tell what they checked and ran (plan modules need not). */
  explain?: ExplainSink;
}

/** Result of an action module or of the engine after applying a plan. */
export interface ActionResult {
  changed: boolean;
  failed?: boolean;
  skipped?: boolean;
  msg?: string;
  /** the text shown for the result when it is not `msg` (a result Ansible gives without msg) */
  reason?: string;
  /**
   * The action ended before its module ran (Ansible's AnsibleActionSkip/Fail: fetch in check
   * mode): the result is registered as given, without `failed: false`, changed_when, failed_when or until.
   */
  final?: boolean;
  /** extra keys for `register` (rc, stdout, stat, content...) */
  data?: Record<string, unknown>;
  /** variables to set on the host (set_fact) */
  setVars?: Record<string, unknown>;
  diff?: Diff[];
}

/**
 * What the playbook loader needs of a module before any task runs (argument parsing, static
 * validation, docs). Build time copies it into dist/modules.json (src/modules/index.ts), so a run
 * loads a module's code only when a task uses it. Its other names live in the registry list.
 */
export interface ModuleInfo {
  name: string;
  /** JSON Schema (ajv JSONSchemaType<P>): validation, TS type and docs in one place */
  schema: object;
  /** one-line description for docs/--help */
  doc: string;
  /** the module's prose (markdown): how it decides, differences from Ansible (kvplay --doc, docs/modules.md) */
  notes?: string;
  /** example tasks (YAML), shown after the notes */
  examples?: string;
  /** parameter that receives the free-form string: `command: ls -l` -> {cmd: "ls -l"} */
  freeForm?: string;
  /** the parameter names are templates too, rendered when the task runs (set_fact: `"{{ name }}": value`) */
  templateKeys?: boolean;
}

/**
 * What plan() and explain() see: the task's context WITHOUT the transport (and the run's fact
 * cache, progress, --explain sink), so that planning is pure by the compiler's check.
 */
export type PlanCtx = Omit<ModuleCtx, 'transport' | 'factCache' | 'progress' | 'explain'>;

/**
 * P: the parameters (Static<typeof schema>, schema.ts); F: the parsed facts; D: what prepare
 * returns (controller-side data: a file's bytes, a rendered template), given to the later hooks.
 */
export interface Module<P = any, F = any, D = unknown> extends ModuleInfo {
  /** controller-side preparation (read a src file, render a template); its value goes to the hooks below */
  prepare?(params: P, ctx: ModuleCtx): Promise<D> | D;
  /** facts to read right before planning */
  facts?(params: P, ctx: ModuleCtx, prep?: D): Record<string, Fact<unknown>>;
  /** facts that depend on the first ones (the guest's XML names what to probe): a second round trip, with the same cache rules */
  moreFacts?(params: P, facts: F, ctx: ModuleCtx): Record<string, Fact<unknown>>;
  /** pure planning */
  plan?(params: P, facts: F, ctx: PlanCtx, prep?: D): Plan;
  /** facts read after the steps ran, and the verdict (see Verify) */
  verify?: Verify<P, F>;
  /** --explain: what the facts checked and found, as a student would check it (pure; default: each Fact's explain) */
  explain?(params: P, facts: F, ctx: PlanCtx, prep?: D): ExplainCheck[];
  /** build the registered result after steps ran (stepResults empty when ok or check mode) */
  result?(params: P, facts: F, stepResults: StepResult[], ctx: ModuleCtx, after?: Record<string, unknown>, prep?: D): Record<string, unknown>;
  /**
   * false: the plan's reason is only shown, never registered as `msg`: the registered value is the
   * module's own (plan.result, result()), shaped as the Ansible module returns it (copy, file, command...).
   */
  reasonIsMsg?: false;
  /** an action module that never changes a host (debug, assert, wait_for...): cached facts stay valid */
  readOnly?: boolean;
  /** for action modules (no plan/apply) */
  action?(params: P, ctx: ModuleCtx, prep?: D): Promise<ActionResult>;
  /** this module may be run in check mode by the action itself (it must honour ctx.check) */
}
