/** command, shell, raw: run commands. Always `changed` unless creates/removes say there is nothing to do. */
import { posix } from 'node:path';
import type { ExecResult } from '../transport/types.js';
import { q, qAlways } from '../util/quote.js';
import type { Fact, Module, Plan, Step } from './types.js';
import { expandWord, globWord, shlexSplit } from '../util/shlex.js';
import { bool, exclusive, object, requireOne, str, strList } from './util/schema.js';
import { withStdinNote } from './util/explain.js';

export interface CommandParams {
  cmd?: string;
  argv?: string[];
  chdir?: string;
  creates?: string;
  removes?: string;
  stdin?: string;
  stdin_add_newline?: boolean;
  strip_empty_ends?: boolean;
  executable?: string;
}

type CmdFacts = { creates?: boolean; removes?: boolean };

const common = {
  chdir: str('Change into this directory before running the command.'),
  creates: str('A path or glob (* and ?): when it exists, the command is not run (ok). Relative to chdir.'),
  removes: str('A path or glob (* and ?): when it does NOT exist, the command is not run (ok). Relative to chdir.'),
  stdin: str('Text fed to the command on standard input.'),
  stdin_add_newline: bool('Append a newline to stdin.', true),
  strip_empty_ends: bool('Strip trailing empty lines from stdout/stderr in the result.', true),
};

/** A glob exists (fact): exit 0 when some match exists. */
export function globExistsFact(pattern: string, chdir?: string): Fact<boolean> {
  const p = chdir && !pattern.startsWith('/') && !pattern.startsWith('~') ? posix.join(chdir, pattern) : pattern;
  const word = p.startsWith('~') ? expandWord(p.replace(/[*?].*$/, '')) + globWord(p.replace(/^[^*?]*/, '')) : globWord(p);
  return {
    cmd: `for f in ${word}; do if [ -e "$f" ] || [ -L "$f" ]; then exit 0; fi; done; exit 1`,
    parse: (r) => r.code === 0,
    explain: (v) => ({ cmd: `ls -d ${word}`, found: v ? 'exists' : 'nothing there' }),
  };
}

function guardFacts(p: CommandParams): Record<string, Fact<unknown>> {
  const f: Record<string, Fact<unknown>> = {};
  if (p.creates) f.creates = globExistsFact(p.creates, p.chdir);
  if (p.removes) f.removes = globExistsFact(p.removes, p.chdir);
  return f;
}

function guardPlan(p: CommandParams, facts: CmdFacts): Plan | null {
  if (p.creates && facts.creates) {
    return { kind: 'ok', reason: `skipped, since ${p.creates} exists`, result: { rc: 0, stdout: `skipped, since ${p.creates} exists`, stdout_lines: [`skipped, since ${p.creates} exists`], stderr: '', stderr_lines: [] } };
  }
  if (p.removes && !facts.removes) {
    return { kind: 'ok', reason: `skipped, since ${p.removes} does not exist`, result: { rc: 0, stdout: `skipped, since ${p.removes} does not exist`, stdout_lines: [`skipped, since ${p.removes} does not exist`], stderr: '', stderr_lines: [] } };
  }
  return null;
}

function stdinOf(p: CommandParams): string | undefined {
  if (p.stdin === undefined) return undefined;
  return p.stdin_add_newline === false ? p.stdin : p.stdin + '\n';
}

function withChdir(p: CommandParams, cmd: string): string {
  return p.chdir ? `cd ${q(p.chdir)} || exit 1\n${cmd}` : cmd;
}

function stripEnds(s: string, on: boolean | undefined): string {
  return on === false ? s : s.replace(/(\r?\n)+$/, '');
}

function lines(s: string): string[] {
  return s === '' ? [] : s.split(/\r?\n/);
}

/** The registered value of a command run. */
export function commandResult(p: CommandParams, shown: string | string[], results: ExecResult[]): Record<string, unknown> {
  const r = results[0];
  if (!r) return { cmd: shown };
  const stdout = stripEnds(r.stdout, p.strip_empty_ends);
  const stderr = stripEnds(r.stderr, p.strip_empty_ends);
  return {
    // a command that ran reports changed, whatever its exit code (as Ansible's command module)
    changed: true,
    cmd: shown,
    rc: r.code,
    stdout,
    stderr,
    stdout_lines: lines(stdout),
    stderr_lines: lines(stderr),
    ...(r.code !== 0 ? { msg: 'non-zero return code' } : {}),
  };
}

/** `explain`: the command as typed (a shell script as written, not wrapped in sh -c), for --explain. */
function runPlan(p: CommandParams, facts: CmdFacts, cmd: string, shown: string, explain?: string): Plan {
  const g = guardPlan(p, facts);
  if (g) return g;
  const step: Step = { desc: `run ${shown.length > 60 ? shown.slice(0, 57) + '...' : shown}`, cmd: withChdir(p, cmd), stdin: stdinOf(p) };
  if (explain !== undefined) step.explain = withStdinNote(p.chdir ? `cd ${q(p.chdir)}\n${explain}` : explain, step.stdin);
  return { kind: 'change', reason: `run: ${shown}`, steps: [step] };
}

/** argv words for the command module (shlex split of cmd, or argv). */
export function commandWords(p: CommandParams): string[] {
  if (p.argv) return p.argv.map(String);
  try {
    return shlexSplit(p.cmd ?? '');
  } catch (e: any) {
    throw new Error(`cannot split command: ${e.message}`);
  }
}

/** The sh text running argv without a shell's interpretation ($VAR and ~ expanded like Ansible). */
export function commandLine(words: string[]): string {
  if (words.length === 0) throw new Error('no command given');
  const [first, ...rest] = words;
  // the program word must not become an assignment (A=b) or a shell keyword (if, while, !...)
  const head = /=/.test(first) || SH_KEYWORDS.has(first) ? qAlways(first) : expandWord(first);
  return [head, ...rest.map(expandWord)].join(' ');
}

const SH_KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'fi', 'case', 'esac', 'for', 'while', 'until', 'do', 'done', '!', '{', '}', 'in']);

export const command: Module<CommandParams, CmdFacts> = {
  name: 'command',
  doc: 'Run a command without a shell: no pipes, redirections or ; (use shell for those). $VAR and ~ in words are expanded.',
  freeForm: 'cmd',
  schema: object(
    {
      cmd: str('The command line, split into words like a POSIX shell would (quotes respected), then run without a shell.'),
      argv: strList('The command as a list of words (no splitting at all).'),
      ...common,
    },
    { allOf: [requireOne('cmd', 'argv'), exclusive('cmd', 'argv')] },
  ),
  facts: (p) => guardFacts(p),
  plan(p, facts) {
    const words = commandWords(p);
    return runPlan(p, facts, commandLine(words), p.argv ? words.join(' ') : p.cmd!, commandLine(words));
  },
  result: (p, _f, results) => commandResult(p, p.argv ?? p.cmd!, results),
};

export const shell: Module<CommandParams, CmdFacts> = {
  name: 'shell',
  doc: 'Run a command line through a shell (/bin/sh -c, or `executable`): pipes, redirections, variables work.',
  freeForm: 'cmd',
  schema: object(
    {
      cmd: str('The shell command line (may span several lines).'),
      executable: str('Shell to run the command with (absolute path), e.g. /bin/bash. Default /bin/sh.'),
      ...common,
    },
    { required: ['cmd'] },
  ),
  facts: (p) => guardFacts(p),
  plan(p, facts) {
    const exe = p.executable ?? '/bin/sh';
    return runPlan(p, facts, `${q(exe)} -c ${q(p.cmd!)}`, p.cmd!.trim(), p.executable === undefined ? p.cmd!.trim() : undefined);
  },
  result: (p, _f, results) => commandResult(p, p.cmd!, results),
};

export const raw: Module<CommandParams> = {
  name: 'raw',
  doc: 'Run a command line as is through /bin/sh (or `executable`), nothing else: no creates/removes, no chdir.',
  freeForm: 'cmd',
  schema: object(
    {
      cmd: str('The command line.'),
      executable: str('Shell to run the command with (absolute path). Default /bin/sh.'),
    },
    { required: ['cmd'] },
  ),
  plan(p) {
    const exe = p.executable ?? '/bin/sh';
    return { kind: 'change', reason: `run: ${p.cmd}`, steps: [{ desc: 'run raw command', cmd: `${q(exe)} -c ${q(p.cmd!)}` }] };
  },
  result: (p, _f, results) => commandResult({ ...p, strip_empty_ends: false }, p.cmd!, results),
};
