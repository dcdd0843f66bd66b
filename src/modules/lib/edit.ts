/** Planning of in-place text edits (lineinfile, blockinfile): read content, compute new text, write atomically. */
import { posix } from 'node:path';
import { q } from '../../util/quote.js';
import type { ExecResult } from '../../transport/types.js';
import type { Fact, PlanCtx, Plan, Step } from '../../engine/module/types.js';
import { ModuleFailure } from '../../util/errors.js';
import { assumeInCheck, attrSteps, backupFileFrom, checkOwners, contentDiff, fileFact, mustBackup, ownerFacts, targetMode, writeStep, type FileState } from './fileops.js';
import type { ModeSpec } from '../../util/mode.js';

export interface EditParams {
  path?: string;
  create?: boolean;
  backup?: boolean;
  mode?: ModeSpec;
  owner?: string | number;
  group?: string | number;
  validate?: string;
}

/**
 * What an edit wants: the new text (null: leave the file alone) and a message: the registered
 * `msg` of a change (Ansible's: 'line added'), or of a missing file left alone ('file not present');
 * when nothing changes it is only shown and the registered msg is ''.
 */
export interface EditOutcome {
  text: string | null;
  msg: string;
  /** what kvplay shows when it is not msg */
  reason?: string;
  /** more registered keys (lineinfile's found) */
  result?: Record<string, unknown>;
}

/** Module-specific words of planEdit. */
export interface EditOpts {
  /** Ansible's msg for a missing file without create (registered with rc 257) */
  missing?: string;
}

/** Ansible's words when mode/owner/group change too (lineinfile, blockinfile: check_file_attrs). */
const ATTRS_CHANGED = 'ownership, perms or SE linux context changed';

export function editFacts(p: EditParams): Record<string, Fact<unknown>> {
  // cacheable: several edits of one file (a loop of lineinfile items, two settings in libvirtd.conf)
  // read it once until something changes (src/modules/types.ts Fact.cache)
  return { file: { ...fileFact(p.path!, { checksum: false, content: 'always' }), cache: true }, ...ownerFacts(p) };
}

/** facts as read by editFacts */
export interface EditFacts { file: FileState; _owner?: boolean; _group?: boolean }

/**
 * Split like Python's readlines() on a binary file: after each \n only, a \r stays part of the
 * line. Ansible's lineinfile reads lines so (and compares them with rstrip('\r\n'), see stripEol).
 */
export function readLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** Split like Python's str.splitlines(keepends=True) on \n, \r\n and \r: how Ansible's blockinfile splits. */
export function splitLinesKeep(s: string): string[] {
  const out: string[] = [];
  const re = /\r\n|\n|\r/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) {
    out.push(s.slice(last, m.index + m[0].length));
    last = m.index + m[0].length;
  }
  if (last < s.length) out.push(s.slice(last));
  return out;
}

export function stripEol(l: string): string {
  return l.replace(/[\r\n]+$/, '');
}

/**
 * compute(old) gets the current text (null: no file) and returns the wanted text.
 * A missing file without create is an error unless compute returns text null.
 */
export function planEdit(p: EditParams, facts: EditFacts, compute: (old: string | null) => EditOutcome, ctx: PlanCtx, opts: EditOpts = {}): Plan {
  const path = p.path!;
  const st = facts.file;
  checkOwners(p, facts, ctx);
  let old: string | null = null;
  if (st.exists) {
    if (!st.f) throw new Error(`${path} is a broken symlink`);
    if (st.f.type !== 'file') throw new Error(`${path} is a ${st.f.type}, not a regular file`);
    const buf = st.content ?? Buffer.alloc(0);
    old = buf.toString('utf8');
    if (!Buffer.from(old, 'utf8').equals(buf)) throw new Error(`${path} is not valid UTF-8 text`);
  }
  const out = compute(old);
  const shown = out.reason ?? out.msg;
  if (old === null) {
    if (out.text === null) return { kind: 'ok', reason: `${path}: file not present`, result: { msg: out.msg, ...out.result } };
    const error = `${path} does not exist (use create: true to create it)`;
    if (!p.create && !ctx.check && opts.missing !== undefined) throw new ModuleFailure(error, { rc: 257, msg: opts.missing });
    if (!p.create) return assumeInCheck(ctx, path, `${path}: ${shown}`, error);
  }
  const writePath = st.l?.type === 'link' && st.realpath ? st.realpath : path;
  if (out.text !== null && out.text !== old) {
    const steps: Step[] = [];
    if (old === null && !st.parentDir) {
      steps.push({ desc: `mkdir -p ${posix.dirname(path)}`, cmd: `mkdir -p -- ${q(posix.dirname(path))}` });
    }
    steps.push(
      writeStep({
        path: writePath, content: out.text, cur: st.f, mode: targetMode(p.mode, st.f, st.umask), owner: p.owner, group: p.group,
        validate: p.validate, backup: mustBackup(writePath, old !== null, p.backup),
      }),
    );
    // a new file gets 0666 & ~umask, then the wanted mode
    const attrs = st.f ? attrSteps(writePath, st.f, { mode: p.mode, owner: p.owner, group: p.group }).steps.length > 0 : targetMode(p.mode, undefined, st.umask) !== (0o666 & ~st.umask);
    const msg = attrs ? `${out.msg} and ${ATTRS_CHANGED}` : out.msg;
    const reason = `${path}: ${shown}${old === null ? ' (file created)' : ''}`;
    return { kind: 'change', reason, steps, diff: ctx.diff ? [contentDiff(path, st, out.text)] : undefined, result: { msg, ...out.result } };
  }
  const a = st.f ? attrSteps(writePath, st.f, { mode: p.mode, owner: p.owner, group: p.group }) : { steps: [], changes: [] };
  if (a.steps.length) {
    return { kind: 'change', reason: `${path}: ${a.changes.join(', ')}`, steps: a.steps, result: { msg: ATTRS_CHANGED, ...out.result } };
  }
  return { kind: 'ok', reason: `${path}: ${shown || 'unchanged'}`, result: { msg: '', ...out.result } };
}

export function editResult(results: ExecResult[]): Record<string, unknown> {
  const b = backupFileFrom(results);
  return b ? { backup_file: b, backup: b } : {};
}
