/**
 * Remote file facts and file-writing steps shared by the file modules.
 *
 * Facts: the file fact (src/facts/file.ts: ONE command per path, its sections, a pure parser),
 * with the explain of it.
 *
 * Writing (writeStep): content goes to a temp file in the same directory
 * (mktemp PATH.kvplay-XXXXXX), gets its mode/owner/group, is optionally validated, and is
 * renamed onto PATH with `mv -f` (atomic). With backup — and ALWAYS for an existing file under
 * /etc (kvplay's safety rule) — the old file is first copied (cp -p, mode kept) to
 * PATH.YYYYMMDDTHHMMSS.kvplay~ and the step prints `backup_file=...`.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { ExecResult } from '../../transport/types.js';
import { q } from '../../util/quote.js';
import type { Fact, PlanCtx, Plan, Step } from '../../engine/module/types.js';
import type { Diff } from '../../report/events.js';
import { applyMode, fmtMode, type ModeSpec } from '../../util/mode.js';
import { DIFF_CAP, fileFactCmd, parseFileState, type FileFactOpts, type FileState, type StatInfo } from '../../facts/file.js';
import { fileCheck, writeExplain } from '../../engine/module/explain.js';

export { DIFF_CAP, fileFactCmd, parseFileState, parseStatLine, STAT_FMT, type FileFactOpts, type FileState, type FileType, type StatInfo } from '../../facts/file.js';

export function fileFact(path: string, o: FileFactOpts = {}): Fact<FileState> {
  return { cmd: fileFactCmd(path, o), parse: (r) => parseFileState(path, r, o), explain: (st) => fileCheck(st, (o.content ?? 'none') !== 'none', o.checksum === undefined ? 'sha256' : o.checksum || undefined) };
}

/** Does `want` (name or numeric id) designate the user/group (id, name)? */
export function idMatches(want: string | number, id: number, name: string): boolean {
  const w = String(want);
  return /^\d+$/.test(w) ? Number(w) === id : w === name;
}

export interface Attrs {
  mode?: ModeSpec;
  owner?: string | number;
  group?: string | number;
}

/**
 * Steps that bring an existing path's mode/owner/group to `want` (follows links unless
 * noFollow: then chown -h and no chmod). Returns the steps and a human list of changes.
 */
export function attrSteps(path: string, cur: StatInfo, want: Attrs, noFollow = false): { steps: Step[]; changes: string[] } {
  const steps: Step[] = [];
  const changes: string[] = [];
  const own = want.owner !== undefined && !idMatches(want.owner, cur.uid, cur.owner);
  const grp = want.group !== undefined && !idMatches(want.group, cur.gid, cur.group);
  if (own || grp) {
    const spec = (own ? String(want.owner) : '') + (grp ? ':' + String(want.group) : '');
    steps.push({ desc: `chown ${spec} ${path}`, cmd: `chown ${noFollow ? '-h ' : ''}${q(spec)} -- ${q(path)}` });
    if (own) changes.push(`owner ${cur.owner} -> ${want.owner}`);
    if (grp) changes.push(`group ${cur.group} -> ${want.group}`);
  }
  if (want.mode !== undefined && !noFollow && cur.type !== 'link') {
    const m = applyMode(want.mode, cur.mode, cur.type === 'directory');
    if (m !== cur.mode) {
      steps.push({ desc: `chmod ${fmtMode(m)} ${path}`, cmd: `chmod ${fmtMode(m)} -- ${q(path)}` });
      changes.push(`mode ${fmtMode(cur.mode)} -> ${fmtMode(m)}`);
    }
  }
  return { steps, changes };
}

/** kvplay's safety rule: an existing file under /etc is always backed up before it is replaced. */
export function mustBackup(path: string, exists: boolean, backup: boolean | undefined): boolean {
  if (!exists) return false;
  if (backup) return true;
  const n = posix.normalize(path);
  return n.startsWith('/etc/');
}

export interface WriteOpts {
  path: string;
  content: Buffer | string;
  /** the file as it is now (lstat/stat), when it exists */
  cur?: StatInfo;
  /** permission bits for the new file (already computed); default: keep cur's, else 0666 & ~umask */
  mode: number;
  owner?: string | number;
  group?: string | number;
  /** command with %s for the temp file; run before the rename */
  validate?: string;
  backup: boolean;
  desc?: string;
  /** print the temp file's name (reportFrom in ./pathinfo.ts: Ansible's `src` on the target) */
  report?: boolean;
}

/**
 * A missing prerequisite (parent directory, file to edit, link source). In check mode an
 * earlier task of the same run may create it, so the plan predicts a change (steps are not run
 * in check mode); in a real run it is an error.
 */
export function assumeInCheck(ctx: PlanCtx, missing: string, reason: string, error: string): Plan {
  if (!ctx.check) throw new Error(error);
  return { kind: 'change', reason: `${reason} (check mode: ${missing} does not exist yet, assuming an earlier task creates it)`, steps: [] };
}

/** The permission bits a written file gets: the requested mode applied to the current (or new-file default) bits. */
export function targetMode(mode: ModeSpec | undefined, cur: StatInfo | undefined, umask: number): number {
  const base = cur ? cur.mode : 0o666 & ~umask;
  return mode === undefined ? base : applyMode(mode, base, false);
}

/** One step writing content atomically (see the header). */
export function writeStep(o: WriteOpts): Step {
  const lines = [
    'set -e',
    `p=${q(o.path)}`,
    't=$(mktemp "$p.kvplay-XXXXXX")',
    ...(o.report ? [`printf '${REPORT_SRC}%s\\0\\n' "$t"`] : []),
    `trap 'rm -f "$t"' EXIT`,
    'cat > "$t"',
    `chmod ${fmtMode(o.mode)} "$t"`,
  ];
  const own = o.owner !== undefined ? String(o.owner) : o.cur ? String(o.cur.uid) : undefined;
  const grp = o.group !== undefined ? String(o.group) : o.cur ? String(o.cur.gid) : undefined;
  if (own !== undefined || grp !== undefined) {
    const spec = (own ?? '') + (grp !== undefined ? ':' + grp : '');
    // keeping an existing file's owner may be impossible for a non-root user: then it is best effort
    const keepOnly = o.owner === undefined && o.group === undefined;
    lines.push(`chown ${q(spec)} "$t"${keepOnly ? ' 2>/dev/null || :' : ''}`);
  }
  // SELinux: keep the old file's context, or let a new file get the policy default
  lines.push(`if [ -e "$p" ]; then chcon --reference="$p" "$t" 2>/dev/null || :; fi`);
  if (o.validate) {
    lines.push(`( ${o.validate.replace(/%s/g, '"$t"')}\n) >&2 || { echo "validation failed: $?" >&2; exit 1; }`);
  }
  if (o.backup && o.cur) {
    lines.push('b="$p.$(date +%Y%m%dT%H%M%S).kvplay~"', 'cp -p "$p" "$b"', 'printf \'backup_file=%s\\n\' "$b"');
  }
  lines.push('mv -f "$t" "$p"', 'trap - EXIT');
  if (!o.cur) lines.push('command -v restorecon >/dev/null 2>&1 && restorecon "$p" 2>/dev/null || :');
  lines.push('exit 0');
  const explain = writeExplain({ path: o.path, content: o.content, mode: o.mode, owner: o.owner, group: o.group, validate: o.validate, backup: o.backup && !!o.cur });
  return { desc: o.desc ?? `write ${o.path}`, cmd: lines.join('\n'), stdin: o.content, explain };
}

/** writeStep (report: true) prints the temp file's name after this, NUL-ended, then a newline (reportFrom, ./pathinfo.ts). */
export const REPORT_SRC = 'kvplay_src=';

/** backup_file=... printed by writeStep, if any. */
export function backupFileFrom(results: ExecResult[]): string | undefined {
  for (const r of results) {
    const m = /^backup_file=(.*)$/m.exec(r.stdout);
    if (m) return m[1];
  }
  return undefined;
}

function isBinary(b: Buffer): boolean {
  return b.includes(0) || !Buffer.from(b.toString('utf8'), 'utf8').equals(b);
}

/** A Diff for a content change; placeholders for binary or unread content. */
export function contentDiff(path: string, before: FileState | undefined, after: Buffer | string): Diff {
  const a = typeof after === 'string' ? Buffer.from(after) : after;
  let b: string;
  if (!before || !before.exists || before.f?.type !== 'file') b = '';
  else if (before.content === undefined || before.content.length > DIFF_CAP) b = `(content not shown: ${before.f.size} bytes)\n`;
  else if (isBinary(before.content)) b = `(binary: ${before.content.length} bytes)\n`;
  else b = before.content.toString('utf8');
  let s: string;
  if (a.length > DIFF_CAP) s = `(content not shown: ${a.length} bytes)\n`;
  else if (isBinary(a)) s = `(binary: ${a.length} bytes)\n`;
  else s = a.toString('utf8');
  return { path, before: b, after: s };
}

export function sha256(b: Buffer | string): string {
  return createHash('sha256').update(b).digest('hex');
}

/** SHA-1 (hex): Ansible's `checksum` of a file (copy, template, fetch, stat's default). */
export function sha1(b: Buffer | string): string {
  return createHash('sha1').update(b).digest('hex');
}

/** MD5 (hex): Ansible's `md5sum`. */
export function md5(b: Buffer | string): string {
  return createHash('md5').update(b).digest('hex');
}

/** Facts checking that owner/group NAMES exist on the host (numeric ids always do). */
export function ownerFacts(p: { owner?: string | number; group?: string | number }): Record<string, Fact<boolean>> {
  const f: Record<string, Fact<boolean>> = {};
  const named = (v: unknown): v is string => v !== undefined && !/^\d+$/.test(String(v));
  if (named(p.owner)) {
    const n = q(p.owner);
    f._owner = { cmd: `if command -v getent >/dev/null 2>&1; then getent passwd ${n} >/dev/null; else id -u ${n} >/dev/null 2>&1; fi`, parse: (r) => r.code === 0, explain: (v) => ({ cmd: `getent passwd ${n}`, found: v ? 'the user exists' : 'no such user' }) };
  }
  if (named(p.group)) {
    const n = q(p.group);
    f._group = { cmd: `if command -v getent >/dev/null 2>&1; then getent group ${n} >/dev/null; else awk -F: -v g=${n} '$1==g{f=1} END{exit !f}' /etc/group; fi`, parse: (r) => r.code === 0, explain: (v) => ({ cmd: `getent group ${n}`, found: v ? 'the group exists' : 'no such group' }) };
  }
  return f;
}

/**
 * Throws when ownerFacts found a missing user or group — except in check mode, where an
 * earlier task of the same run may create it (the plan then simply shows the change).
 */
export function checkOwners(p: { owner?: string | number; group?: string | number }, facts: { _owner?: boolean; _group?: boolean }, ctx: PlanCtx): void {
  if (ctx.check) return;
  if (facts._owner === false) throw new Error(`user '${p.owner}' does not exist on the host`);
  if (facts._group === false) throw new Error(`group '${p.group}' does not exist on the host`);
}
