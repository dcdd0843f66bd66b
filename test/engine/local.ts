/**
 * Pure engine runs: a playbook written to a temporary directory, run in this process over local
 * hosts (ansible_connection: local) with the in-memory reporter. No sshd, no CLI, no dist/.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadPlaybook } from '../../src/playbook/load.js';
import { inventoryFromText } from '../../src/inventory/index.js';
import { newRunState, runPlaybook } from '../../src/engine/run.js';
import type { RunOptions } from '../../src/engine/state.js';
import type { Playbook, Vars } from '../../src/playbook/model.js';
import type { Counts, RunEvent } from '../../src/report/events.js';
import { MemoryReporter } from '../harness/reporter.js';

type HostResult = Extract<RunEvent, { kind: 'host_result' }>;

export interface LocalRun {
  code: number;
  rep: MemoryReporter;
  /** PLAY RECAP counts by host */
  recap: Record<string, Counts>;
  /** host_result events of the task named `task` (in the order they came) */
  results(task: string): HostResult[];
  /** `msg` of the debug task named `task` on `host` */
  msg(task: string, host?: string): unknown;
  /** [task, host, status] of every host result, in order */
  trail(): string[];
}

const DEFAULT_INVENTORY = `all:
  hosts:
    a: {ansible_connection: local}
    b: {ansible_connection: local}
`;

export interface LocalPlaybook {
  pb: Playbook;
  /** one run of the loaded playbook (it may run several times) */
  run(opts?: Partial<RunOptions>): Promise<LocalRun>;
  cleanup(): void;
}

/**
 * `files`: path -> text (site.yml is the playbook; inventory.yml overrides the two local hosts
 * a and b), written to a temporary directory and loaded.
 */
export function loadLocal(files: Record<string, string>): LocalPlaybook {
  const dir = mkdtempSync(join(tmpdir(), 'kvplay-engine-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  const pb = loadPlaybook(join(dir, 'site.yml'));
  const run = async (opts: Partial<RunOptions> = {}): Promise<LocalRun> => {
    const inv = inventoryFromText(files['inventory.yml'] ?? DEFAULT_INVENTORY, join(dir, 'inventory.yml'));
    const rep = new MemoryReporter();
    const state = newRunState(inv, { check: false, diff: false, tags: [], skipTags: [], extraVars: {}, forks: 5, verbosity: 0, knownHostsFiles: [], acceptNewHostKeys: false, ...opts }, rep, pb.dir);
    const code = await runPlaybook(state, pb, inv);
    const results = (task: string) => rep.of('host_result').filter((e) => e.task === task);
    return {
      code,
      rep,
      recap: rep.of('recap')[0]?.hosts ?? {},
      results,
      msg: (task, host = 'a') => (results(task).find((e) => e.host === host)?.data as Vars | undefined)?.msg,
      trail: () => rep.of('host_result').map((e) => `${e.task}|${e.host}|${e.status}`),
    };
  };
  return { pb, run, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Load `files` and run the playbook once with `opts` (RunOptions over the defaults: extraVars, check, forks...). */
export async function runLocal(files: Record<string, string>, opts: Partial<RunOptions> = {}): Promise<LocalRun> {
  const l = loadLocal(files);
  try {
    return await l.run(opts);
  } finally {
    l.cleanup();
  }
}

/** The recap counts that are not 0 (`ok=2 changed=1`), as Ansible prints the interesting part. */
export function counts(c: Counts | undefined): string {
  if (!c) return '(no recap)';
  return Object.entries(c).filter(([, n]) => n > 0).map(([k, n]) => `${k}=${n}`).join(' ');
}
