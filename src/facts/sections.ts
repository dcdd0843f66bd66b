/**
 * The ONE format of kvplay's multi-part remote scripts: several named commands in one round
 * trip, each command's output in its own section with its own exit code.
 *
 * Wire format (each marker on a line of its own, the script prints a newline before it so output
 * without a final newline still ends before the marker):
 *
 *     @@kvplay-section NAME #TOKEN
 *     ...the command's output (stderr merged unless stderr: 'apart')...
 *     @@kvplay-section-rc NAME RC #TOKEN
 *
 * TOKEN is random, chosen once per kvplay run (fact commands stay the same string for the whole
 * run: the fact cache is keyed by them). The script prints its first marker before any command
 * runs (the prelude's output is discarded), and the parser takes the token from that first
 * marker, which must open the output: a line of command output (a
 * domain's XML, a file's content, a name holding a newline) cannot end with it, so it cannot
 * forge a section boundary. Section names are kvplay's own ([\w.-]+), never host data. A
 * section's `out` is the command's output without ONE final newline: a value printed as
 * `printf '%s\n' "$v"` comes back exactly, newlines inside or at its end included (and NUL bytes:
 * the framing never splits output on anything but the token's markers).
 *
 * Recorded output (test/fixtures, test/modules/.../fixtures) parses the same, tokens or not.
 */
import type { ExecResult } from '../transport/types.js';
import { randomToken } from '../transport/framing.js';

export interface Section {
  /** the command's output (stderr merged unless the script keeps it apart), one final newline removed */
  out: string;
  /** its exit code; -1 when the section did not finish (the script was killed or cut off) */
  rc: number;
}

/** Parsed sections by name (a null-prototype table: names are looked up, never inherited). */
export type Sections = Record<string, Section>;

/** [name, command]: one section of a script. */
export type SectionCmd = readonly [name: string, cmd: string];

export interface ScriptOpts {
  /**
   * How each command runs:
   * - 'subshell' (default): in a subshell of its own (`( CMD )`): it may `exit`, its variables do not leak;
   * - 'shared': in the script's own shell (`{ CMD }`, no fork: cheap for many small sections), so
   *   variables it sets are seen by the later sections; it must not `exit`;
   * - 'parallel': all at once (the script takes the slowest one's time), each into a file of a
   *   private temp dir removed on exit, then printed in order as 'subshell' prints them.
   */
  mode?: 'subshell' | 'shared' | 'parallel';
  /** 'merge' (default): the command's stderr is part of its section; 'apart': it goes to the script's stderr */
  stderr?: 'merge' | 'apart';
  /**
   * Shell code run first, in the script's shell (functions, variables the sections use; it may read
   * the script's stdin, the sections never do). Its output is discarded (it comes before the first
   * marker, which must be the first thing printed).
   */
  prelude?: string;
}

export const MARK = '@@kvplay-section';
const NAME = /^[\w.-]+$/;

/** This run's token (see the header). */
const RUN_TOKEN = randomToken(8);

/** A sh script running each command in its own section (see the header). Section names must be [\w.-]+ and unique. */
export function sectionScript(cmds: readonly SectionCmd[], o: ScriptOpts = {}): string {
  const tok = ` #${RUN_TOKEN}`;
  const seen = new Set<string>();
  for (const [name] of cmds) {
    if (!NAME.test(name)) throw new Error(`bad section name ${JSON.stringify(name)}`);
    if (seen.has(name)) throw new Error(`section ${name} twice`);
    seen.add(name);
  }
  const err = o.stderr === 'apart' ? '' : ' 2>&1';
  const begin = (name: string) => `printf '\\n${MARK} ${name}${tok}\\n'`;
  const end = (name: string, rc: string) => `printf '\\n${MARK}-rc ${name} %s${tok}\\n' ${rc}`;
  const lines: string[] = ['LC_ALL=C; export LC_ALL'];
  if (o.prelude) lines.push(`{ ${o.prelude}\n} >/dev/null`);
  if (o.mode === 'parallel' && cmds.length > 1) {
    // the script's own variables are kvplay_*: a prelude's names stay the commands'
    lines.push('kvplay_d=$(mktemp -d /tmp/kvplay-sections-XXXXXX) || exit 1', `trap 'rm -rf "$kvplay_d"' EXIT`);
    cmds.forEach(([, cmd], i) => lines.push(`( ${cmd}\n) >"$kvplay_d/${i}"${err} </dev/null & kvplay_p${i}=$!`));
    cmds.forEach(([name], i) => lines.push(`wait "$kvplay_p${i}"; kvplay_r=$?`, begin(name), `cat "$kvplay_d/${i}"`, end(name, '"$kvplay_r"')));
  } else {
    const [open, close] = o.mode === 'shared' ? ['{', '}'] : ['(', ')'];
    for (const [name, cmd] of cmds) lines.push(begin(name), `${open} ${cmd}\n${close}${err} </dev/null`, end(name, '"$?"'));
  }
  lines.push('exit 0');
  return lines.join('\n');
}

/**
 * The token of recorded or live output: the end of its first line, which must be a marker (the
 * script prints one before anything else; '' for output recorded without tokens). Output that
 * starts otherwise holds no sections: text before the first marker could forge one.
 */
function tokenOf(stdout: string): string | undefined {
  const m = new RegExp(`^\\n*${MARK} [\\w.-]+( #[0-9a-f]+)?\\n`).exec(stdout);
  return m ? m[1] ?? '' : undefined;
}

/** Does this output hold sections at all (the script ran)? */
export function hasSections(stdout: string): boolean {
  return tokenOf(stdout) !== undefined;
}

/** The last line of a command's output (its error, usually). */
export const lastLine = (s: string) => s.trim().split('\n').pop() ?? '';

/**
 * Pure: the sections of sectionScript output. A section without its rc marker (killed script)
 * gets rc -1; a section printed twice keeps its first copy.
 */
export function parseSections(stdout: string): Sections {
  const out: Sections = Object.create(null);
  const tok = tokenOf(stdout);
  if (tok === undefined) return out;
  /** the marker without its token, or null for a line of output */
  const marker = (l: string) => (l.startsWith(MARK) && l.endsWith(tok) ? l.slice(0, l.length - tok.length) : null);
  let cur: string | null = null;
  let buf: string[] = [];
  const put = (name: string, rc: number) => {
    // complete: the newline the script printed before the rc marker; cut off: the last line's own
    if (buf.length && buf[buf.length - 1] === '') buf.pop();
    if (!(name in out)) out[name] = { out: buf.join('\n'), rc };
  };
  for (const line of stdout.split('\n')) {
    const m = marker(line);
    const rcm = m === null ? null : /^-rc ([\w.-]+) (-?\d+)$/.exec(m.slice(MARK.length));
    const bm = m === null ? null : /^ ([\w.-]+)$/.exec(m.slice(MARK.length));
    if (rcm) {
      if (cur === rcm[1]) put(cur, Number(rcm[2]));
      cur = null;
      buf = [];
    } else if (bm) {
      if (cur !== null) put(cur, -1);
      cur = bm[1];
      buf = [];
    } else if (cur !== null) {
      buf.push(line);
    }
  }
  if (cur !== null) put(cur, -1);
  return out;
}

/** parseSections, throwing when the script could not run at all (no section came back). */
export function sectionsOf(r: ExecResult, what: string): Sections {
  const s = parseSections(r.stdout);
  if (!Object.keys(s).length) throw new Error(`${what}: no output (rc=${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  return s;
}

/**
 * parseSections, throwing unless every named section came back complete (the script ran to its
 * end): for fact scripts whose missing part would read as "absent" rather than "unknown".
 */
export function completeSections(r: ExecResult, names: readonly string[], what: string): Sections {
  const s = parseSections(r.stdout);
  const missing = names.filter((n) => !(n in s) || s[n].rc === -1);
  if (missing.length) throw new Error(`${what} failed (rc=${r.code}): ${r.stderr.trim() || `incomplete output (no ${missing.join(', ')})`}`);
  return s;
}

/** Each section's output by name, whatever its exit code (null-prototype). */
export function sectionTexts(stdout: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(parseSections(stdout))) out[k] = v.out;
  return out;
}

/**
 * The options of a fact script of many small probes: each runs in the script's own shell (no fork
 * per section; variables carry on), stderr apart (a probe's noise is not its value).
 */
export const PROBES: ScriptOpts = { mode: 'shared', stderr: 'apart' };

/** A section's output when its command succeeded (rc 0), else undefined. */
export function okOut(s: Section | undefined): string | undefined {
  return s && s.rc === 0 ? s.out : undefined;
}
