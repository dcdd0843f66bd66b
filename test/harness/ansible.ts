/**
 * Ansible as the oracle: run ansible-core's tools (ansible-inventory, ansible-vault,
 * ansible-playbook) in an isolated directory (its own ansible.cfg, ANSIBLE_HOME and temp dirs), so
 * nothing of the machine's Ansible setup leaks into the comparison. Tests that need them are gated
 * through test/harness/gate.ts: `requires({ tools: ['ansible-inventory'] })` (scripts/setup.sh
 * installs Debian's ansible-core).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run an ansible-core tool in `dir` with an empty ansible.cfg there (unless `env` sets ANSIBLE_CONFIG). */
export function ansible(tool: string, args: string[], dir: string, env: Record<string, string> = {}, input?: string): ToolResult {
  const home = join(dir, '.ansible-home');
  mkdirSync(home, { recursive: true });
  const cfg = join(home, 'ansible.cfg');
  writeFileSync(cfg, '[defaults]\n');
  const r = spawnSync(tool, args, {
    cwd: dir,
    input,
    encoding: 'utf8',
    env: {
      ...process.env,
      ANSIBLE_CONFIG: cfg,
      ANSIBLE_HOME: home,
      ANSIBLE_LOCAL_TEMP: join(home, 'tmp'),
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_PYTHON_INTERPRETER: 'auto_silent',
      ...env,
    },
    timeout: 120_000,
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Ansible's warnings/errors with all whitespace removed (its display wraps long lines at 79 columns). */
export const squash = (s: string) => s.replace(/\s+/g, '');
