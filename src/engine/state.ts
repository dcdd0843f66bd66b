/** Run-wide and per-host state of the engine. No globals: one RunState travels everywhere. */
import type { ExecResult, Transport } from '../transport/types.js';
import type { Reporter, Counts } from '../report/events.js';
import { emptyCounts } from '../report/events.js';
import type { Vars } from '../playbook/model.js';
import { SECRET_VAR } from '../util/secrets.js';
import type { StepState } from './step.js';

/** The command line's options that the engine takes as they are (src/cli/args.ts CliOptions extends it). */
export interface RunFlags {
  check: boolean;
  diff: boolean;
  limit?: string;
  tags: string[];
  skipTags: string[];
  extraVars: Vars;
  forks: number;
  verbosity: number;
  acceptNewHostKeys: boolean;
  /** CLI --become / --user overrides */
  become?: boolean;
  user?: string;
  /** defaults below the play/task keywords and the host's variables (--become-user; or ansible.cfg) */
  becomeUser?: string;
  /** --become-method / ansible.cfg become_method: below the keyword and ansible_become_method */
  becomeMethod?: string;
  /** --step: ask before each task (src/engine/step.ts) */
  step?: boolean;
  /** --start-at-task PATTERN (src/engine/step.ts) */
  startAtTask?: string;
  /** --explain: each task tells what it checked and the commands it runs (src/engine/explain.ts) */
  explain?: boolean;
  /** --force-handlers: notified handlers run on hosts that failed too */
  forceHandlers?: boolean;
}

/** Every key of RunFlags (a missing one is a compile error). */
const RUN_FLAGS: Record<keyof RunFlags, true> = {
  check: true, diff: true, limit: true, tags: true, skipTags: true, extraVars: true, forks: true, verbosity: true, acceptNewHostKeys: true,
  become: true, user: true, becomeUser: true, becomeMethod: true, step: true, startAtTask: true, explain: true, forceHandlers: true,
};

/** The RunFlags of a larger options object (the CLI's), and nothing else. */
export function runFlags(o: RunFlags): RunFlags {
  const out: Partial<Record<keyof RunFlags, unknown>> = {};
  for (const k of Object.keys(RUN_FLAGS) as (keyof RunFlags)[]) if (o[k] !== undefined) out[k] = o[k];
  return out as RunFlags;
}

/** What the engine runs with: the flags, and what the CLI derives from its options and the environment. */
export interface RunOptions extends RunFlags {
  knownHostsFiles: string[];
  /** become password from -K / KVPLAY_BECOME_PASSWORD */
  becomePassword?: string;
  /** --private-key, -T (or ansible.cfg): below the host's variables */
  privateKeyFile?: string;
  connectTimeoutMs?: number;
  /** ssh-agent socket (SSH_AUTH_SOCK) */
  agentSocket?: string;
  /** SSH handshakes at once (KVPLAY_CONNECT_PARALLEL; default CONNECT_PARALLEL) */
  connectParallel?: number;
  /** the ansible.cfg read (ansible_config_file), if any */
  configFile?: string;
  /** asks the --step question on the terminal, returns the line typed */
  askStep?: (prompt: string) => Promise<string>;
  /** asks a vars_prompt question on the terminal (echo off when `hidden`); none without a terminal */
  askVar?: (prompt: string, hidden: boolean) => Promise<string>;
}

export interface HostState {
  name: string;
  /** inventory vars (group + host, raw, templated lazily) */
  invVars: Vars;
  /** gathered facts (ansible_facts) */
  facts: Vars;
  factsGathered: boolean;
  /** set_fact / register results: host-level vars that outlive a play */
  hostFacts: Vars;
  transport?: Transport;
  /** the transport's handshake is done */
  connected?: boolean;
  /** facts read ahead at the start of the run (src/engine/prefetch.ts), valid while changeMark(run) is `mark` */
  prefetch?: { mark: number; facts: Promise<Record<string, unknown> | undefined> };
  /** status: set only through src/engine/hoststatus.ts */
  readonly failed: boolean;
  readonly unreachable: boolean;
  /** meta: end_host, or removed from the play */
  readonly ended: boolean;
  notified: Set<string>;
  counts: Counts;
  /** the last failed task and its result (ansible_failed_task / ansible_failed_result in a rescue) */
  lastFailure?: { task: Vars; result: Vars };
  /** how many times meta: clear_host_errors revived this host (an always then leaves it alive) */
  readonly clears?: number;
}

export interface RunState {
  opts: RunOptions;
  reporter: Reporter;
  hosts: Map<string, HostState>;
  /** values never to be printed */
  secrets: Set<string>;
  /** outputs of cacheable facts (src/modules/types.ts Fact.cache), emptied when anything changes */
  factCache: Map<string, ExecResult>;
  /** inventory groups (name -> hosts) for the `groups` magic var */
  groups: Record<string, string[]>;
  /** the inventory as add_host / group_by change it during the run (src/engine/dynhosts.ts) */
  inventory?: import('./dynhosts.js').RunInventory;
  groupsOf(host: string): string[];
  playbookDir: string;
  inventoryFile: string;
  /** set by any_errors_fatal or end of run */
  aborted: boolean;
  /** SSH handshakes in flight at once (hundreds at once on 2 cores time out) */
  connectSlots: Semaphore;
  /** host -> the task running on it now (what an interrupt stops: src/cli/interrupt.ts) */
  running?: Map<string, string>;
  /** kvplay got SIGINT/SIGTERM/SIGHUP: the run stops, with this exit code (128 + signal) */
  interrupted?: { signal: string; code: number };
  /** --step / --start-at-task progress (src/engine/step.ts) */
  stepState?: StepState;
}

/** A counting semaphore. */
export class Semaphore {
  private waiting: (() => void)[] = [];
  constructor(private free: number) {}
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((res) => this.waiting.push(res));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

/** How many SSH handshakes kvplay runs at once by default (hundreds at once on 2 cores time out). */
export const CONNECT_PARALLEL = 24;

export function newHostState(name: string, invVars: Vars): HostState {
  return {
    name,
    invVars,
    facts: {},
    factsGathered: false,
    hostFacts: Object.create(null),
    failed: false,
    unreachable: false,
    ended: false,
    notified: new Set(),
    counts: emptyCounts(),
  };
}

/** Run fn over items with at most `limit` at once (forks). */
export async function mapLimit<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/** fn for one host, with the task it runs recorded in run.running meanwhile (what an interrupt names). */
export async function onHost(run: RunState, host: string, task: string, fn: () => Promise<void>): Promise<void> {
  (run.running ??= new Map()).set(host, task);
  try {
    await fn();
  } finally {
    run.running.delete(host);
  }
}

/** Variable names whose values are secrets (never printed): one home, src/util/secrets.ts. */
export { SECRET_VAR };

/** Add the values of secret-named variables (recursively) to the run's secrets. */
export function collectSecrets(vars: Vars | undefined, into: Set<string>, depth = 0): void {
  if (!vars || typeof vars !== 'object' || depth > 10) return;
  for (const [k, v] of Object.entries(vars)) {
    if (SECRET_VAR.test(k) && (typeof v === 'string' || typeof v === 'number') && String(v).length >= 3 && !String(v).includes('{{')) into.add(String(v));
    else if (v && typeof v === 'object') collectSecrets(v as Vars, into, depth + 1);
  }
}
