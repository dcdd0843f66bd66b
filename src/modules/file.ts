/** file: the state of a path (file, directory, link, hard, absent, touch) and its mode/owner/group. */
import { posix } from 'node:path';
import { q } from '../util/quote.js';
import type { Fact, Module, ModuleCtx, Plan, Step } from '../engine/module/types.js';
import type { Diff } from '../report/events.js';
import {
  assumeInCheck, attrSteps, checkOwners, fileFact, idMatches, ownerFacts, parseStatLine, STAT_FMT, type Attrs, type FileState, type StatInfo,
} from './lib/fileops.js';
import { pathInfo, reportFrom, withStatAfter } from './lib/pathinfo.js';
import { applyMode, fmtMode } from '../util/mode.js';
import { attrProps, bool, object, str, strEnum, type Static } from '../engine/module/schema.js';

export type FileStateName = 'file' | 'directory' | 'link' | 'hard' | 'absent' | 'touch';

export type FileParams = Static<typeof schema>;

export interface TreeEntry { path: string; st: StatInfo }
export interface FileFacts { path: FileState; src?: FileState; ancestors?: boolean[]; tree?: TreeEntry[]; _owner?: boolean; _group?: boolean }

/** ancestors of an absolute or relative path, outermost first, without the path itself */
export function ancestorsOf(path: string): string[] {
  const out: string[] = [];
  let d = posix.dirname(path);
  while (d !== '/' && d !== '.' && !out.includes(d)) {
    out.unshift(d);
    d = posix.dirname(d);
  }
  return out;
}

/**
 * Everything below `path` except symlinks (not followed). A name may hold a newline, so names
 * are never read as lines: each batch find hands to sh prints `B <count>\n`, then one stat line
 * per entry (fixed fields, no name), then the names, each ended by NUL.
 */
export function treeFact(path: string): Fact<TreeEntry[]> {
  const batch = `printf 'B %s\\n' "$#"; stat -c "$0" -- "$@" || exit 1; printf '%s\\0' "$@"`;
  return {
    cmd: `find ${q(path)} -mindepth 1 ! -type l -exec sh -c ${q(batch)} ${q(STAT_FMT)} {} +`,
    parse(r) {
      if (r.code !== 0) throw new Error(`cannot list ${path}: ${r.stderr.trim()}`);
      return parseTree(path, r.stdout);
    },
  };
}

/** Pure parser of treeFact output; throws on malformed output or an entry that is not below root. */
export function parseTree(root: string, out: string): TreeEntry[] {
  const bad = (why: string) => new Error(`cannot list ${root}: ${why}`);
  const entries: TreeEntry[] = [];
  let pos = 0;
  const upTo = (sep: string) => {
    const e = out.indexOf(sep, pos);
    if (e < 0) throw bad('incomplete output');
    const s = out.slice(pos, e);
    pos = e + 1;
    return s;
  };
  while (pos < out.length) {
    const head = /^B (\d+)$/.exec(upTo('\n'));
    if (!head) throw bad('unexpected output');
    const stats = Array.from({ length: Number(head[1]) }, () => parseStatLine(upTo('\n')));
    for (const st of stats) entries.push({ path: belowRoot(root, upTo('\0')), st });
  }
  return entries;
}

/** `p` itself when it lies strictly below `root` (after normalisation, no `..` anywhere); else an error. */
export function belowRoot(root: string, p: string): string {
  const base = root.replace(/\/+$/, '');
  const rel = p.startsWith(base + '/') ? p.slice(base.length + 1) : '';
  const r = posix.normalize(base || '/').replace(/\/+$/, '');
  const n = posix.normalize(p);
  if (!rel || rel.split('/').includes('..') || !n.startsWith(r + '/') || n === r + '/') {
    throw new Error(`refusing to touch ${JSON.stringify(p)}: not below ${root}`);
  }
  return p;
}

function srcPath(p: FileParams): string {
  const path = p.path!;
  return p.src!.startsWith('/') ? p.src! : posix.join(posix.dirname(path), p.src!);
}

function prevState(st: FileState): FileStateName {
  if (!st.exists) return 'absent';
  if (st.l!.type === 'link') return 'link';
  if (st.l!.type === 'directory') return 'directory';
  return st.l!.type === 'file' && st.l!.nlink > 1 ? 'hard' : 'file';
}

function chunks<T>(a: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < a.length; i += n) out.push(a.slice(i, i + n));
  return out;
}

/** Steps applying mode/owner/group to every entry of a tree (recurse: true), grouped by target. */
export function treeSteps(tree: TreeEntry[], want: Attrs): { steps: Step[]; count: number } {
  const byMode = new Map<number, string[]>();
  const chownList: string[] = [];
  const touched = new Set<string>();
  for (const e of tree) {
    if (want.mode !== undefined) {
      const m = applyMode(want.mode, e.st.mode, e.st.type === 'directory');
      if (m !== e.st.mode) {
        byMode.set(m, [...(byMode.get(m) ?? []), e.path]);
        touched.add(e.path);
      }
    }
    const own = want.owner !== undefined && !idMatches(want.owner, e.st.uid, e.st.owner);
    const grp = want.group !== undefined && !idMatches(want.group, e.st.gid, e.st.group);
    if (own || grp) { chownList.push(e.path); touched.add(e.path); }
  }
  const steps: Step[] = [];
  if (chownList.length) {
    const spec = (want.owner !== undefined ? String(want.owner) : '') + (want.group !== undefined ? ':' + String(want.group) : '');
    for (const c of chunks(chownList, 200)) steps.push({ desc: `chown ${spec} (${c.length} entries)`, cmd: `chown -h ${q(spec)} -- ${c.map(q).join(' ')}` });
  }
  // chmod follows a symlink named on its command line: find (never following) skips an entry
  // that became a symlink since it was listed
  for (const [m, paths] of byMode) {
    for (const c of chunks(paths, 200)) steps.push({ desc: `chmod ${fmtMode(m)} (${c.length} entries)`, cmd: `find ${c.map(q).join(' ')} -prune ! -type l -exec chmod ${fmtMode(m)} -- {} +` });
  }
  return { steps, count: touched.size };
}

function stateDiff(ctx: ModuleCtx, path: string, before: string, after: string): Diff[] | undefined {
  return ctx.diff ? [{ path, before: `path: ${path}\nstate: ${before}\n`, after: `path: ${path}\nstate: ${after}\n` }] : undefined;
}

/**
 * The plan for an existing path. `result`: the registered value as Ansible's file module gives it
 * (path or dest, src), with the path's information now (pathInfo); when steps run, the last one
 * reports the path's information after (`statPath`: the path reported, result()).
 */
function done(path: string, state: string, cur: StatInfo | undefined, a: { steps: Step[]; changes: string[] }, pre: Step[] = [], preReason = '', diff?: Diff[], result: Record<string, unknown> = { path }, statPath = path): Plan {
  const steps = [...pre, ...a.steps];
  const why = [preReason, ...a.changes].filter(Boolean).join(', ');
  if (!steps.length) return { kind: 'ok', reason: `${path}: ${state}${cur ? `, mode ${fmtMode(cur.mode)}, ${cur.owner}:${cur.group}` : ''}`, result };
  return { kind: 'change', reason: `${path}: ${why}`, steps: statAfter(steps, statPath), diff, result };
}

/** The steps, the last one reporting `path`'s information after it ran (result()). */
function statAfter(steps: Step[], path: string): Step[] {
  return steps.length ? [...steps.slice(0, -1), withStatAfter(steps[steps.length - 1], path)] : steps;
}

/** The path that is operated on (Ansible's `path` in the result): a followed symlink's target. */
function followed(path: string, st: FileState, follow: boolean): { path: string; info: Record<string, unknown> } {
  if (follow && st.l?.type === 'link' && st.f && st.realpath) return { path: st.realpath, info: pathInfo(st.f) };
  return { path, info: st.l ? pathInfo(st.l, st.f) : {} };
}

export function planFile(p: FileParams, facts: FileFacts, ctx: ModuleCtx): Plan {
  const path = p.path!;
  const st = facts.path;
  checkOwners(p, facts, ctx);
  const prev = prevState(st);
  const state: FileStateName = p.state ?? (p.recurse ? 'directory' : prev === 'absent' || prev === 'hard' ? 'file' : prev);
  const follow = p.follow !== false;
  const want: Attrs = { mode: p.mode, owner: p.owner, group: p.group };
  switch (state) {
    case 'absent': {
      if (!st.exists) return { kind: 'ok', reason: `${path}: absent`, result: { path, state: 'absent' } };
      const dir = st.l!.type === 'directory';
      return {
        kind: 'change', reason: `${path}: removed${dir ? ' (directory, recursively)' : ''}`,
        steps: [{ desc: `remove ${path}`, cmd: `rm ${dir ? '-rf' : '-f'} -- ${q(path)}` }],
        diff: stateDiff(ctx, path, prev, 'absent'), result: { path, state: 'absent' },
      };
    }
    case 'file': {
      if (!st.exists) return assumeInCheck(ctx, path, `${path}: attributes`, `file ${path} does not exist (use state: touch to create an empty file, or copy/template)`);
      const cur = follow ? st.f : st.l;
      if (!cur) throw new Error(`${path} is a broken symlink`);
      if (cur.type === 'directory') throw new Error(`${path} is a directory, not a file`);
      const fp = followed(path, st, follow);
      return done(path, 'file', cur, attrSteps(path, cur, want, !follow && st.l!.type === 'link'), [], '', undefined, { path: fp.path, ...fp.info }, fp.path);
    }
    case 'directory': {
      if (st.exists) {
        const cur = follow && st.l!.type === 'link' ? st.f : st.l;
        if (cur?.type !== 'directory') throw new Error(`${path} exists and is a ${st.l!.type === 'link' ? 'symlink' : st.l!.type}, not a directory`);
        const a = attrSteps(path, cur, want);
        if (p.recurse && facts.tree) {
          const t = treeSteps(facts.tree, want);
          if (t.steps.length) a.changes.push(`attributes of ${t.count} entries below`);
          a.steps.push(...t.steps);
        }
        const fp = followed(path, st, follow);
        return done(path, 'directory', cur, a, [], '', undefined, { path: fp.path, ...fp.info }, fp.path);
      }
      const anc = ancestorsOf(path);
      const created = [...anc.filter((_, i) => facts.ancestors && !facts.ancestors[i]), path];
      const steps: Step[] = [{ desc: `mkdir -p ${path}`, cmd: `mkdir -p -- ${q(path)}` }];
      if (p.mode !== undefined) {
        const m = applyMode(p.mode, 0o777 & ~st.umask, true);
        steps.push({ desc: `chmod ${fmtMode(m)} new directories`, cmd: `chmod ${fmtMode(m)} -- ${created.map(q).join(' ')}` });
      }
      if (p.owner !== undefined || p.group !== undefined) {
        const spec = (p.owner !== undefined ? String(p.owner) : '') + (p.group !== undefined ? ':' + String(p.group) : '');
        steps.push({ desc: `chown ${spec} new directories`, cmd: `chown ${q(spec)} -- ${created.map(q).join(' ')}` });
      }
      return {
        kind: 'change', reason: `${path}: directory created${created.length > 1 ? ` (with ${created.length - 1} parent(s))` : ''}`,
        steps: statAfter(steps, path), diff: stateDiff(ctx, path, 'absent', 'directory'), result: { path },
      };
    }
    case 'link':
    case 'hard':
      return planLink(p, state, st, facts.src, prev, ctx);
    case 'touch': {
      const pre: Step[] = [];
      let cur = follow ? st.f : st.l;
      if (!st.exists) {
        pre.push({ desc: `touch ${path}`, cmd: `touch -- ${q(path)}` });
        cur = { ...emptyStat(), mode: 0o666 & ~st.umask, owner: '\0', group: '\0', uid: -1, gid: -1 };
        const a = attrSteps(path, cur, want);
        return { kind: 'change', reason: `${path}: created`, steps: statAfter([...pre, ...a.steps], path), diff: stateDiff(ctx, path, 'absent', 'file'), result: { dest: path } };
      }
      const m = p.modification_time ?? 'now';
      const at = p.access_time ?? 'now';
      if (m === 'now' || at === 'now') {
        const flag = m === 'now' && at === 'now' ? '' : m === 'now' ? '-m ' : '-a ';
        pre.push({ desc: `touch ${path}`, cmd: `touch ${flag}${follow ? '' : '-h '}-- ${q(path)}` });
      }
      if (!cur) throw new Error(`${path} is a broken symlink`);
      return done(path, prev === 'directory' ? 'directory' : 'file', cur, attrSteps(path, cur, want, !follow && st.l!.type === 'link'), pre, pre.length ? 'times updated' : '', undefined, { dest: path, ...pathInfo(st.l!, st.f) });
    }
  }
}

function emptyStat(): StatInfo {
  return { type: 'file', mode: 0, uid: 0, gid: 0, owner: '', group: '', size: 0, mtime: 0, inode: 0, dev: 0, nlink: 1 };
}

function planLink(p: FileParams, state: 'link' | 'hard', st: FileState, src: FileState | undefined, prev: FileStateName, ctx: ModuleCtx): Plan {
  const path = p.path!;
  const want: Attrs = { owner: p.owner, group: p.group };
  const force = p.force === true;
  // as Ansible's file module: dest and src, and the link's own information
  const extra = { dest: path, src: p.src };
  if (state === 'link') {
    if (prev === 'link' && st.linkTarget === p.src) return done(path, 'link', st.l, attrSteps(path, st.l!, want, true), [], '', undefined, { ...extra, ...pathInfo(st.l!) });
    if (!force && !src?.exists) return assumeInCheck(ctx, p.src!, `${path}: symlink to ${p.src} created`, `src ${p.src} does not exist (use force: true to create a dangling link)`);
    const pre: Step[] = [];
    if (prev === 'directory') {
      if (!force) throw new Error(`refusing to convert directory ${path} to a symlink (force: true removes it when empty)`);
      pre.push({ desc: `rmdir ${path}`, cmd: `rmdir -- ${q(path)}` });
    } else if ((prev === 'file' || prev === 'hard') && !force) {
      throw new Error(`refusing to convert file ${path} to a symlink (use force: true)`);
    }
    pre.push({ desc: `ln -s ${p.src} ${path}`, cmd: `ln -sfn -- ${q(p.src!)} ${q(path)}` });
    const spec = (p.owner !== undefined ? String(p.owner) : '') + (p.group !== undefined ? ':' + String(p.group) : '');
    if (spec) pre.push({ desc: `chown -h ${spec} ${path}`, cmd: `chown -h ${q(spec)} -- ${q(path)}` });
    const before = prev === 'link' ? `link -> ${st.linkTarget}` : prev;
    return {
      kind: 'change', reason: `${path}: ${prev === 'link' ? `link target ${st.linkTarget} -> ${p.src}` : `symlink to ${p.src} created`}`,
      steps: statAfter(pre, path), diff: stateDiff(ctx, path, before, `link -> ${p.src}`), result: extra,
    };
  }
  // hard link
  if (!src?.exists || !src.l) return assumeInCheck(ctx, p.src!, `${path}: hard link to ${p.src} created`, `src ${p.src} does not exist`);
  if (src.l.type === 'directory') throw new Error(`src ${p.src} is a directory: cannot hard link`);
  if (st.exists && st.l && st.l.inode === src.l.inode && st.l.dev === src.l.dev) {
    return done(path, 'hard', st.l, attrSteps(path, st.l, { ...want, mode: p.mode }), [], '', undefined, { ...extra, ...pathInfo(st.l, st.f) });
  }
  if (prev === 'directory') throw new Error(`${path} is a directory: cannot replace it with a hard link`);
  if (st.exists && !force) throw new Error(`cannot hard link: ${path} exists and is not a link to ${p.src} (use force: true)`);
  const steps: Step[] = [{ desc: `ln ${p.src} ${path}`, cmd: `ln -f -- ${q(p.src!.startsWith('/') ? p.src! : srcPath(p))} ${q(path)}` }];
  const a = attrSteps(path, src.l, { ...want, mode: p.mode });
  return { kind: 'change', reason: `${path}: hard link to ${p.src} created`, steps: statAfter([...steps, ...a.steps], path), diff: stateDiff(ctx, path, prev, 'hard'), result: extra };
}

const schema = object(
  {
    path: str('Path on the host (aliases: dest, name).', { aliases: ['dest', 'name'] }),
    state: strEnum(['file', 'directory', 'link', 'hard', 'absent', 'touch'], "file: must exist (attributes only); directory: created with parents (mkdir -p, attributes applied to every created directory); link/hard: symlink/hard link to src; absent: removed (directories recursively); touch: created or times updated. Default: the path's current state, else file."),
    src: str('Link target for state link (relative targets are kept as written and checked relative to the link) or hard.'),
    ...attrProps,
    recurse: bool('With state directory: apply mode/owner/group to everything below (symlinks not followed).', false),
    force: bool('link: replace an existing file (or empty directory), or create a dangling link; hard: replace an existing file.', false),
    follow: bool('Follow a symlink at path when setting attributes (false: chown the link itself; mode is never set on links).', true),
    modification_time: strEnum(['now', 'preserve'], "state touch: 'now' (default) updates it, 'preserve' keeps it."),
    access_time: strEnum(['now', 'preserve'], "state touch: 'now' (default) updates it, 'preserve' keeps it."),
  },
  {
    required: ['path'],
    if: { properties: { state: { enum: ['link', 'hard'] } }, required: ['state'] },
    then: { required: ['src'] },
  },
);

export const file: Module<FileParams, FileFacts> = {
  name: 'file',
  reasonIsMsg: false,
  doc: 'Set the state of a path (file, directory, link, hard, absent, touch) and its mode, owner and group.',
  schema,
  facts(p) {
    const f: Record<string, Fact<unknown>> = { path: fileFact(p.path!, { checksum: false }), ...(p.state !== 'absent' ? ownerFacts(p) : {}) };
    if ((p.state === 'link' || p.state === 'hard') && p.src) f.src = fileFact(srcPath(p), { checksum: false });
    if (p.state === 'directory' || (p.state === undefined && p.recurse)) {
      const anc = ancestorsOf(p.path!);
      f.ancestors = {
        cmd: anc.map((d) => `if [ -d ${q(d)} ]; then echo y; else echo n; fi`).join('\n') || ':',
        parse: (r) => r.stdout.split('\n').filter(Boolean).map((l) => l === 'y'),
        explain: (v) => (anc.length ? { cmd: `ls -d ${anc.map(q).join(' ')}`, found: anc.some((_, i) => !(v as boolean[])[i]) ? `missing: ${anc.filter((_, i) => !(v as boolean[])[i]).join(' ')}` : 'all are directories' } : null),
      };
      if (p.recurse) f.tree = { cmd: `if [ -d ${q(p.path!)} ]; then ${treeFact(p.path!).cmd}; fi`, parse: (r) => (r.stdout ? treeFact(p.path!).parse(r) : []) };
    }
    return f;
  },
  plan: planFile,
  // the path's information after the steps (Ansible's add_path_info), when they report it
  result: (_p, _f, results) => {
    const r = reportFrom(results);
    return r.stat ? pathInfo(r.stat) : {};
  },
};
