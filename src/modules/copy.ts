/** copy and template: put a file's content on the host (atomic write, backups, validate). */
import { readFileSync, statSync } from 'node:fs';
import { decryptVaultBytes } from '../vault/loader.js';
import { posix, basename } from 'node:path';
import { InputError } from '../util/errors.js';
import type { Fact, Module, ModuleCtx, Plan, PlanCtx, Step, StepResult } from '../engine/module/types.js';
import {
  assumeInCheck, attrSteps, backupFileFrom, checkOwners, contentDiff, fileFact, md5, mustBackup, ownerFacts, sha1, targetMode, writeStep, type FileState,
} from './lib/fileops.js';
import { pathInfo, reportFrom, withStatAfter } from './lib/pathinfo.js';
import { fmtMode, type ModeSpec } from '../util/mode.js';
import { any, attrProps, backupProp, bool, object, requireOne, exclusive, str, validateProp, type Static } from '../engine/module/schema.js';
import { ANSIBLE_OPTIONS, setOption, type TemplateOptions } from '../template/options.js';

export type CopyParams = Static<typeof copySchema>;

type CopyFacts = { dest: FileState; inDir?: FileState; _owner?: boolean; _group?: boolean };

/** What prepare reads on the controller: the bytes to write, and the local file's mode (for mode: preserve) and path. */
export interface Content {
  data: Buffer;
  srcMode?: number;
  srcPath?: string;
}

const fileOpts = {
  dest: str('Remote path to write. When it is an existing directory (or ends with /) and src is given, the file goes inside it under the basename of src.'),
  ...attrProps,
  backup: backupProp,
  force: bool('Replace the file when its content differs. With false, only a missing file is created.', true),
  follow: bool('When dest is a symlink, write to the file it points to (false: replace the link by a file).', false),
  validate: validateProp,
};

function factOpts(ctx: ModuleCtx) {
  return { checksum: 'sha1' as const, content: ctx.diff ? ('diff' as const) : ('none' as const) };
}

/** Shared planning for copy and template: `data` is the wanted content. */
export function planContent(p: CopyParams, facts: CopyFacts, content: Content, srcName: string | undefined, ctx: PlanCtx): Plan {
  const data = content.data;
  checkOwners(p, facts, ctx);
  let dest = p.dest;
  let st = facts.dest;
  const destIsDir = st.f?.type === 'directory' || dest.endsWith('/');
  if (destIsDir) {
    if (!srcName || !facts.inDir) throw new Error(`dest ${dest} is a directory: give a file path`);
    dest = posix.join(dest, srcName);
    st = facts.inDir;
    if (st.f?.type === 'directory') throw new Error(`dest ${dest} is a directory`);
  }
  if (!st.exists && !st.parentDir) {
    const dir = posix.dirname(dest);
    return assumeInCheck(ctx, dir, `${dest}: created`, `destination directory ${dir} does not exist`);
  }
  if (st.exists && st.f && st.f.type !== 'file') throw new Error(`dest ${dest} exists and is a ${st.f.type}, not a regular file`);
  // follow: write through a symlink to its target
  let writePath = dest;
  if (st.l?.type === 'link' && p.follow && st.realpath) writePath = st.realpath;
  const replacingLink = st.l?.type === 'link' && !p.follow;
  const cur = st.f; // followed stat, undefined when missing/broken link
  const mode: ModeSpec | undefined = p.mode === 'preserve' ? (content.srcMode !== undefined ? fmtMode(content.srcMode) : undefined) : p.mode;
  // the registered value is Ansible's (copy and file modules): SHA-1 checksum, the path's owner, mode, state, size
  const checksum = sha1(data);
  if (st.exists && cur && p.force === false) return { kind: 'ok', reason: `${dest}: exists (force: false)`, result: { dest: p.dest, ...(content.srcPath !== undefined ? { src: content.srcPath } : {}) } };
  if (!cur || cur.type !== 'file' || st.checksum !== checksum || replacingLink) {
    const m = targetMode(mode, replacingLink ? undefined : cur, st.umask);
    const write = writeStep({
      path: writePath, content: data, cur: replacingLink ? undefined : cur, mode: m, owner: p.owner, group: p.group,
      validate: p.validate, backup: mustBackup(writePath, !!cur && !replacingLink, p.backup), report: true,
    });
    const steps: Step[] = [withStatAfter(write, dest)];
    const what = !st.exists ? 'created' : replacingLink ? 'symlink replaced by a file' : 'content changed';
    return {
      kind: 'change', reason: `${dest}: ${what}`, steps,
      diff: ctx.diff ? [contentDiff(dest, st, data)] : undefined,
      // check mode: only `changed`, as Ansible's copy action; else the rest comes from the step (result())
      result: ctx.check ? {} : { dest, md5sum: md5(data), checksum },
    };
  }
  // content as wanted: Ansible's file module sets the attributes (its path information, then the step's)
  const result = { dest, path: dest, checksum, ...(st.l ? pathInfo(st.l, st.f) : {}) };
  const { steps, changes } = attrSteps(writePath, cur, { mode, owner: p.owner, group: p.group });
  if (steps.length) {
    steps[steps.length - 1] = withStatAfter(steps[steps.length - 1], dest);
    return { kind: 'change', reason: `${dest}: ${changes.join(', ')}`, steps, result };
  }
  return { kind: 'ok', reason: `${dest}: content and attributes as wanted`, result };
}

function copyFacts(p: CopyParams, ctx: ModuleCtx, srcName: string | undefined) {
  const f: Record<string, Fact<unknown>> = { dest: fileFact(p.dest, factOpts(ctx)), ...ownerFacts(p) };
  if (srcName) f.inDir = fileFact(posix.join(p.dest, srcName), factOpts(ctx));
  return f;
}

/** What the steps report: the temp file written (Ansible's `src` on the target), the path after, the backup. */
function contentResult(results: StepResult[]): Record<string, unknown> {
  const r = reportFrom(results);
  const b = backupFileFrom(results);
  return { ...(r.src !== undefined ? { src: r.src } : {}), ...(r.stat ? pathInfo(r.stat) : {}), ...(b ? { backup_file: b } : {}) };
}

function contentBytes(c: unknown): Buffer {
  if (Buffer.isBuffer(c)) return c;
  if (typeof c === 'string') return Buffer.from(c, 'utf8');
  if (c === null || c === undefined) return Buffer.alloc(0);
  return Buffer.from(typeof c === 'object' ? JSON.stringify(c) : String(c), 'utf8');
}

function readLocal(ctx: ModuleCtx, kind: 'files' | 'templates', src: string): { path: string; data: Buffer; mode: number } {
  const path = ctx.findFile(kind, src);
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new InputError(`cannot read ${src}: ${err.code ?? err.message}`, undefined, `put it in the ${kind}/ directory of the role or next to the playbook`);
  }
  if (st.isDirectory()) throw new InputError(`src ${src} is a directory: copying directories is not supported`, undefined, 'copy each file, or use a loop over a fileglob');
  return { path, data: decryptVaultBytes(readFileSync(path), path), mode: st.mode & 0o7777 }; // a vaulted src is decrypted, as Ansible's copy/template
}

const copySchema = object(
  {
    content: any('Literal content to write (strings as is; other values as JSON). Exclusive with src.'),
    src: str("Controller file to copy (looked up in the role's files/ directory, then next to the playbook). Directories are not supported."),
    ...fileOpts,
  },
  { required: ['dest'], allOf: [requireOne('content', 'src'), exclusive('content', 'src')] },
);

export const copy: Module<CopyParams, CopyFacts, Content> = {
  name: 'copy',
  reasonIsMsg: false,
  doc: 'Copy a controller file (src) or literal content to a remote file, atomically, only when it differs.',
  schema: copySchema,
  prepare(p, ctx) {
    if (p.src !== undefined) {
      const l = readLocal(ctx, 'files', p.src);
      return { data: l.data, srcMode: l.mode, srcPath: l.path };
    }
    if (p.mode === 'preserve') throw new InputError("mode: preserve needs src", undefined, 'give an explicit mode with content:');
    return { data: contentBytes(p.content) };
  },
  facts: (p, ctx) => copyFacts(p, ctx, p.src !== undefined ? basename(p.src) : undefined),
  plan: (p, facts, ctx, content) => planContent(p, facts, content!, p.src !== undefined ? basename(p.src) : undefined, ctx),
  result: (_p, _f, results) => contentResult(results),
};

/** The template module's Jinja2 options (over Ansible's defaults); "\\n" written escaped is accepted, as Ansible does. */
const ESCAPED_NL: Record<string, string> = { '\\n': '\n', '\\r': '\r', '\\r\\n': '\r\n' };
const DELIM_KEYS = ['block_start_string', 'block_end_string', 'variable_start_string', 'variable_end_string', 'comment_start_string', 'comment_end_string'] as const;
type TemplateParams = Static<typeof templateSchema>;

function templateOptions(p: TemplateParams): TemplateOptions {
  const o: TemplateOptions = { ...ANSIBLE_OPTIONS };
  if (p.trim_blocks !== undefined) o.trimBlocks = p.trim_blocks;
  if (p.lstrip_blocks !== undefined) o.lstripBlocks = p.lstrip_blocks;
  if (p.newline_sequence !== undefined) setOption(o, 'newline_sequence', ESCAPED_NL[p.newline_sequence] ?? p.newline_sequence, undefined, 'template');
  for (const k of DELIM_KEYS) if (p[k] !== undefined) setOption(o, k, p[k], undefined, 'template');
  return o;
}

const delimDoc = (what: string, dflt: string) => str(`The string marking the ${what} (default '${dflt}'); the file's #jinja2: header can also set it.`);

const templateSchema = object(
  {
    src: str("Template file on the controller (looked up in the role's templates/ directory, then next to the playbook)."),
    ...fileOpts,
    trim_blocks: bool('Remove the first newline after a block tag ({% ... %}) or a comment.', true),
    lstrip_blocks: bool('Remove the spaces and tabs before a block tag or a comment at the start of a line.', false),
    newline_sequence: str("Line end of the written file: '\\n' (default), '\\r' or '\\r\\n'."),
    block_start_string: delimDoc('beginning of a block', '{%'),
    block_end_string: delimDoc('end of a block', '%}'),
    variable_start_string: delimDoc('beginning of a print statement', '{{'),
    variable_end_string: delimDoc('end of a print statement', '}}'),
    comment_start_string: delimDoc('beginning of a comment', '{#'),
    comment_end_string: delimDoc('end of a comment', '#}'),
  },
  { required: ['src', 'dest'] },
);

export const template: Module<TemplateParams, CopyFacts, Content> = {
  name: 'template',
  reasonIsMsg: false,
  doc: "Render a Jinja2 template on the controller and write it to a remote file, atomically, only when it differs. As Ansible: the template's line ends are written as newline_sequence, its trailing newlines are kept, and a first line '#jinja2: trim_blocks: False, ...' sets options for that file and is not written.",
  schema: templateSchema,
  prepare(p, ctx) {
    const opts = templateOptions(p);
    const l = readLocal(ctx, 'templates', p.src!);
    const text = ctx.render(l.data.toString('utf8'), l.path, opts);
    return { data: Buffer.from(text, 'utf8'), srcMode: l.mode };
  },
  facts: (p, ctx) => copyFacts(p, ctx, basename(p.src!)),
  plan: (p, facts, ctx, content) => planContent(p, facts, content!, basename(p.src), ctx),
  result: (_p, _f, results) => contentResult(results),
};
