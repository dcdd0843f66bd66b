/** command, shell, raw: run commands. Always `changed` unless creates/removes say there is nothing to do. */
import { posix } from 'node:path';
import { pyDateTimeStr, pyTimeDeltaStr } from '../util/pytime.js';
import { pySplitlines } from '../template/pystr.js';
import { q, qAlways } from '../util/quote.js';
import type { Fact, Module, Plan, Step, StepResult } from '../engine/module/types.js';
import { expandWord, globWord, shlexSplit } from '../util/shlex.js';
import { bool, exclusive, object, requireOne, str, strList, type Static } from '../engine/module/schema.js';
import { withStdinNote } from '../engine/module/explain.js';

export type CommandParams = Static<typeof commandSchema>;
type ShellParams = Static<typeof shellSchema>;
type RawParams = Static<typeof rawSchema>;

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

/** The guard (creates/removes) that holds: the command is not run (ok). */
function guardHit(p: CommandParams, facts: CmdFacts): { what: string; path: string } | null {
  if (p.creates && facts.creates) return { what: 'exists', path: p.creates };
  if (p.removes && !facts.removes) return { what: 'does not exist', path: p.removes };
  return null;
}

function guardPlan(p: CommandParams, facts: CmdFacts): Plan | null {
  const g = guardHit(p, facts);
  return g ? { kind: 'ok', reason: `skipped, since ${g.path} ${g.what}` } : null;
}

function stdinOf(p: CommandParams): string | undefined {
  if (p.stdin === undefined) return undefined;
  return p.stdin_add_newline === false ? p.stdin : p.stdin + '\n';
}

/**
 * Into chdir first (~ and $VAR expanded, as Ansible's path parameters). A directory that cannot
 * be entered fails as Ansible's command module reports it (Python's errno words), read back by chdirError.
 */
function withChdir(p: CommandParams, cmd: string): string {
  if (!p.chdir) return cmd;
  return [
    `kvplay_d=${expandWord(p.chdir)}`,
    'if ! cd -- "$kvplay_d" 2>/dev/null; then',
    `  if [ ! -e "$kvplay_d" ]; then e='2] No such file or directory'; elif [ ! -d "$kvplay_d" ]; then e='20] Not a directory'; else e='13] Permission denied'; fi`,
    `  printf '${CHDIR_FAILED}[Errno %s: %s\\n' "$e" "$kvplay_d" >&2; exit ${EXEC_FAILED}`,
    'fi',
    cmd,
  ].join('\n');
}

const CHDIR_FAILED = 'Unable to change directory before execution: ';

/** Ansible's msg when withChdir could not enter the directory, or null. */
function chdirError(r: StepResult): string | null {
  if (r.code !== EXEC_FAILED || r.stdout !== '' || !r.stderr.startsWith(CHDIR_FAILED)) return null;
  const m = /^\[Errno (\d+)\] ([^:]+): ([^]*)\n$/.exec(r.stderr.slice(CHDIR_FAILED.length));
  return m ? `${CHDIR_FAILED}[Errno ${m[1]}] ${m[2]}: ${pyBytesRepr(m[3])}` : null;
}

/** strip_empty_ends, as Ansible: every trailing \r and \n goes. */
function stripEnds(s: string, on: boolean | undefined): string {
  return on === false ? s : s.replace(/[\r\n]+$/, '');
}

/**
 * The registered value of command/shell, as Ansible's command module returns it: `cmd` (the argv
 * list for command, the string for shell), rc, stdout/stderr and their _lines (Python's
 * splitlines), start/end/delta (controller clock around the run; null when it did not run) and msg
 * ('' on success). Not run: a guard (creates/removes) held, or check mode (skipped unless a guard was given).
 */
export function commandResult(p: CommandParams, shown: string | string[], facts: CmdFacts, results: StepResult[], check: boolean): Record<string, unknown> {
  const base = { cmd: shown, start: null, end: null, delta: null, stderr: '', stderr_lines: [] };
  const g = guardHit(p, facts);
  if (g) {
    const stdout = `skipped, since ${g.path} ${g.what}`;
    return { ...base, changed: false, rc: 0, stdout, stdout_lines: [stdout], msg: `${check ? 'Would' : 'Did'} not run command since '${g.path}' ${g.what}` };
  }
  const r = results[0];
  if (!r) {
    if (!check) return base;
    const skip = p.creates === undefined && p.removes === undefined;
    return { ...base, changed: !skip, rc: 0, stdout: '', stdout_lines: [], msg: 'Command would have run if not in check mode', ...(skip ? { skipped: true } : {}) };
  }
  const cd = chdirError(r);
  if (cd !== null) return { ...base, changed: false, rc: null, stdout: '', stdout_lines: [], msg: cd };
  const bad = Array.isArray(shown) ? execError(r) : null;
  if (bad && Array.isArray(shown)) {
    // as Ansible's run_command: cmd as one quoted string, no start/end/delta
    return { changed: false, cmd: shown.map((w) => q(w)).join(' '), rc: bad.errno, stdout: '', stderr: '', stdout_lines: [], stderr_lines: [], msg: bad.msg };
  }
  const stdout = stripEnds(r.stdout, p.strip_empty_ends);
  const stderr = stripEnds(r.stderr, p.strip_empty_ends);
  const t = r.startedAt !== undefined && r.endedAt !== undefined ? { start: pyDateTimeStr(r.startedAt), end: pyDateTimeStr(r.endedAt), delta: pyTimeDeltaStr(r.endedAt - r.startedAt) } : {};
  return {
    // a command that ran reports changed, whatever its exit code (as Ansible's command module)
    changed: true,
    cmd: shown,
    ...t,
    rc: r.code,
    stdout,
    stderr,
    stdout_lines: pySplitlines(stdout),
    stderr_lines: pySplitlines(stderr),
    msg: r.code !== 0 ? 'non-zero return code' : '',
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
  } catch (e) {
    throw new Error(`cannot split command: ${(e as Error).message}`);
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

/**
 * Before the command runs: a program that cannot be executed fails as Ansible's command module
 * reports it (Python's exec error: `[Errno 2] No such file or directory: b'name'`, rc 2; a
 * directory or a file without x: Errno 13), not as the shell's "not found" (rc 127). The shell
 * prints the errno and the name; execError reads them back.
 */
function execCheck(words: string[]): string {
  const first = words[0];
  if (first === undefined) return '';
  const head = /=/.test(first) || SH_KEYWORDS.has(first) ? qAlways(first) : expandWord(first);
  return [
    `kvplay_exe=${head}; kvplay_e=`,
    'case $kvplay_exe in',
    `  */*) if [ ! -e "$kvplay_exe" ]; then kvplay_e='2] No such file or directory'; elif [ -d "$kvplay_exe" ] || [ ! -x "$kvplay_exe" ]; then kvplay_e='13] Permission denied'; fi ;;`,
    // as exec does: an executable file in a PATH directory (a shell builtin without one is not found)
    `  *) kvplay_e='2] No such file or directory'; kvplay_ifs=$IFS; IFS=:; for kvplay_p in $PATH; do if [ -f "\${kvplay_p:-.}/$kvplay_exe" ] && [ -x "\${kvplay_p:-.}/$kvplay_exe" ]; then kvplay_e=; break; fi; done; IFS=$kvplay_ifs ;;`,
    'esac',
    `if [ -n "$kvplay_e" ]; then printf '[Errno %s: %s\\n' "$kvplay_e" "$kvplay_exe" >&2; exit ${EXEC_FAILED}; fi`,
    '',
  ].join('\n');
}

const EXEC_FAILED = 127;

/** The exec error execCheck printed, as Python words it (the name as a bytes repr), or null. */
function execError(r: StepResult): { errno: number; msg: string } | null {
  if (r.code !== EXEC_FAILED || r.stdout !== '') return null;
  const m = /^\[Errno (2|13)\] (No such file or directory|Permission denied): ([^]*)\n$/.exec(r.stderr);
  return m ? { errno: Number(m[1]), msg: `[Errno ${m[1]}] ${m[2]}: ${pyBytesRepr(m[3])}` } : null;
}

/** Python's repr() of the UTF-8 bytes of s: b'...' (\\xNN for what is not printable ASCII). */
function pyBytesRepr(s: string): string {
  const b = Buffer.from(s, 'utf8');
  const quote = b.includes(0x27) && !b.includes(0x22) ? '"' : "'";
  let out = '';
  for (const c of b) {
    if (c === 0x5c || c === quote.charCodeAt(0)) out += '\\' + String.fromCharCode(c);
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c < 0x20 || c >= 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += String.fromCharCode(c);
  }
  return `b${quote}${out}${quote}`;
}

const SH_KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'fi', 'case', 'esac', 'for', 'while', 'until', 'do', 'done', '!', '{', '}', 'in']);

const commandSchema = object(
  {
    cmd: str('The command line, split into words like a POSIX shell would (quotes respected), then run without a shell.'),
    argv: strList('The command as a list of words (no splitting at all).'),
    executable: str("Ignored with a warning, as Ansible's command module does: use shell to choose the shell."),
    ...common,
  },
  { allOf: [requireOne('cmd', 'argv'), exclusive('cmd', 'argv')] },
);

export const command: Module<CommandParams, CmdFacts> = {
  name: 'command',
  reasonIsMsg: false,
  doc: 'Run a command without a shell: no pipes, redirections or ; (use shell for those). $VAR and ~ in words are expanded.',
  freeForm: 'cmd',
  schema: commandSchema,
  facts: (p) => guardFacts(p),
  plan(p, facts) {
    const words = commandWords(p);
    return runPlan(p, facts, execCheck(words) + commandLine(words), p.argv ? words.join(' ') : p.cmd!, commandLine(words));
  },
  result: (p, f, results, ctx) => ({
    ...commandResult(p, commandWords(p), f, results, ctx.check),
    ...(p.executable !== undefined ? { warnings: [`As of Ansible 2.4, the parameter 'executable' is no longer supported with the 'command' module. Not using '${p.executable}'.`] } : {}),
  }),
};

const shellSchema = object(
  {
    cmd: str('The shell command line (may span several lines).'),
    executable: str('Shell to run the command with (absolute path), e.g. /bin/bash. Default /bin/sh.'),
    ...common,
  },
  { required: ['cmd'] },
);

export const shell: Module<ShellParams, CmdFacts> = {
  name: 'shell',
  reasonIsMsg: false,
  doc: 'Run a command line through a shell (/bin/sh -c, or `executable`): pipes, redirections, variables work.',
  freeForm: 'cmd',
  schema: shellSchema,
  facts: (p) => guardFacts(p),
  plan(p, facts) {
    const exe = p.executable ?? '/bin/sh';
    return runPlan(p, facts, `${q(exe)} -c ${q(p.cmd!)}`, p.cmd!.trim(), p.executable === undefined ? p.cmd!.trim() : undefined);
  },
  result: (p, f, results, ctx) => commandResult(p, p.cmd!, f, results, ctx.check),
};

const rawSchema = object(
  {
    cmd: str('The command line.'),
    executable: str('Shell to run the command with (absolute path). Default /bin/sh.'),
  },
  { required: ['cmd'] },
);

export const raw: Module<RawParams> = {
  name: 'raw',
  reasonIsMsg: false,
  doc: 'Run a command line as is through /bin/sh (or `executable`), nothing else: no creates/removes, no chdir.',
  freeForm: 'cmd',
  schema: rawSchema,
  plan(p) {
    const exe = p.executable ?? '/bin/sh';
    return { kind: 'change', reason: `run: ${p.cmd}`, steps: [{ desc: 'run raw command', cmd: `${q(exe)} -c ${q(p.cmd!)}` }] };
  },
  // as Ansible's raw action: the output as it is (lines: Python's splitlines); skipped in check mode
  result(_p, _f, results, ctx) {
    const r = results[0];
    if (!r) return ctx.check ? { skipped: true } : {};
    return { changed: true, rc: r.code, stdout: r.stdout, stdout_lines: pySplitlines(r.stdout), stderr: r.stderr, stderr_lines: pySplitlines(r.stderr), ...(r.code !== 0 ? { msg: 'non-zero return code' } : {}) };
  },
};
