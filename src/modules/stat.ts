/** stat and slurp: read-only information about remote files (always ok). */
import { q } from '../util/quote.js';
import type { ExecResult } from '../transport/types.js';
import type { Fact, Module } from './types.js';
import { fileFactCmd, parseFileState, type FileState, type StatInfo } from './util/fileops.js';
import { fmtMode } from './util/mode.js';
import { fileCheck } from './util/explain.js';
import { bool, object, str, strEnum } from './util/schema.js';

type Algo = 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

export interface StatParams {
  path?: string;
  dest?: string;
  name?: string;
  follow?: boolean;
  get_checksum?: boolean;
  checksum_algorithm?: Algo;
  checksum?: Algo;
  checksum_algo?: Algo;
  get_mime?: boolean;
  mime?: boolean;
  mime_type?: boolean;
  'mime-type'?: boolean;
  get_attributes?: boolean;
  attr?: boolean;
  attributes?: boolean;
  get_md5?: boolean;
}

/** What Python's os.stat gives beyond kvplay's stat line: float times, blocks, block size, rdev. */
export interface StatExtra {
  atime: number;
  mtime: number;
  ctime: number;
  blocks: number;
  block_size: number;
  device_type: number;
}

/** The stat module's own facts about the path (besides the file state): see statExtraCmd. */
export interface StatMore {
  l?: StatExtra;
  f?: StatExtra;
  mime?: { mimetype: string; charset: string };
  attrs?: { version: string; attr_flags: string };
  md5?: string;
}

/** `stat -c` format of StatExtra: numbers, then the three times as text (for their nanoseconds). */
const XFMT = '%X %Y %Z %b %o %t %T|%x|%y|%z';

/**
 * Shell text printing, before the file state, what Ansible's stat adds: l/f (lstat/stat extra),
 * m (`file --mime-type --mime-encoding`, as Ansible runs it: on the path itself), v (`lsattr -vd`:
 * version and flags), d (md5); then a line `.`. No line holds a name (file -b; lsattr's first two words).
 */
export function statExtraCmd(path: string, o: { mime: boolean; attrs: boolean; md5: boolean }): string {
  const lines = [
    `p=${q(path)}; X=${q(XFMT)}`,
    'if [ -e "$p" ] || [ -L "$p" ]; then',
    "  printf 'l '; stat -c \"$X\" -- \"$p\" || echo",
    "  if [ -L \"$p\" ] && [ -e \"$p\" ]; then printf 'f '; stat -L -c \"$X\" -- \"$p\" || echo; fi",
  ];
  if (o.mime) lines.push("  if r=$(file -b --mime-type --mime-encoding -- \"$p\" 2>/dev/null); then printf 'm %s\\n' \"$r\" | head -n 1; fi");
  if (o.attrs) lines.push("  if r=$(lsattr -vd -- \"$p\" 2>/dev/null); then printf '%s\\n' \"$r\" | { read -r v f _; printf 'v %s %s\\n' \"$v\" \"$f\"; }; fi");
  if (o.md5) lines.push("  if [ -f \"$p\" ] && [ -r \"$p\" ]; then printf 'd '; md5sum < \"$p\" || echo; fi");
  lines.push('fi', 'echo .');
  return lines.join('\n');
}

/** Python's st_rdev of major/minor (glibc's makedev). */
function makedev(major: number, minor: number): number {
  return (minor & 0xff) + (major & 0xfff) * 0x100 + Math.floor(minor / 0x100) * 0x100000 + Math.floor(major / 0x1000) * 0x100000000;
}

/** Seconds with nanoseconds as Python's float (sec + nsec * 1e-9), from `%X` and the text time `%x`. */
function pyTime(sec: string, text: string): number {
  const ns = /\d\d:\d\d:\d\d\.(\d+)/.exec(text);
  return Number(sec) + (ns ? Number(ns[1].padEnd(9, '0').slice(0, 9)) : 0) * 1e-9;
}

function parseExtra(line: string): StatExtra | undefined {
  const [nums, x, y, z] = line.split('|');
  const f = (nums ?? '').trim().split(/\s+/);
  if (f.length < 7 || z === undefined || !f.every((n, i) => (i >= 5 ? /^[0-9a-f]+$/i : /^\d+$/).test(n))) return undefined;
  return { atime: pyTime(f[0], x), mtime: pyTime(f[1], y), ctime: pyTime(f[2], z), blocks: Number(f[3]), block_size: Number(f[4]), device_type: makedev(parseInt(f[5], 16), parseInt(f[6], 16)) };
}

/** Pure parser of statExtraCmd output (up to its `.` line); `rest`: what follows (the file state). */
export function parseStatMore(out: string): { more: StatMore; rest: string } {
  const more: StatMore = {};
  const end = out.startsWith('.\n') ? 0 : out.indexOf('\n.\n');
  if (end < 0) throw new Error('cannot read the stat information: incomplete output');
  for (const line of out.slice(0, end).split('\n')) {
    const v = line.slice(2);
    if (line.startsWith('l ')) more.l = parseExtra(v);
    else if (line.startsWith('f ')) more.f = parseExtra(v);
    else if (line.startsWith('m ')) {
      // as Ansible: "type; charset=..." or nothing
      const parts = v.split(';');
      const cs = parts[1]?.split('=')[1];
      if (parts.length === 2 && cs !== undefined) more.mime = { mimetype: parts[0].trim(), charset: cs.trim() };
    } else if (line.startsWith('v ')) {
      const [version, flags] = v.split(' ');
      if (version && flags !== undefined) more.attrs = { version, attr_flags: flags.replace(/-/g, '') };
    } else if (line.startsWith('d ')) more.md5 = v.trim().split(/\s+/)[0] || undefined;
  }
  return { more, rest: out.slice(end === 0 ? 2 : end + 3) };
}

/** lsattr's flags as Ansible names them (module_utils FILE_ATTRIBUTES). */
const FILE_ATTRIBUTES: Record<string, string> = {
  A: 'noatime', a: 'append', c: 'compressed', C: 'nocow', d: 'nodump', D: 'dirsync', e: 'extents', E: 'encrypted', h: 'blocksize', i: 'immutable',
  I: 'indexed', j: 'journalled', N: 'inline', s: 'zero', S: 'synchronous', t: 'notail', T: 'blockroot', u: 'undelete', X: 'compressedraw', Z: 'compresseddirty',
};

export interface StatOpts {
  follow: boolean;
  checksum: boolean;
  mime: boolean;
  attrs: boolean;
}

/** The `stat` dict as Ansible's stat module returns it, from the file state and the stat module's own facts. */
export function statDict(path: string, st: FileState, more: StatMore, o: StatOpts): Record<string, unknown> {
  if (!st.exists) return { exists: false };
  const s: StatInfo | undefined = o.follow ? st.f : st.l;
  const x = o.follow && st.l?.type === 'link' ? more.f : more.l;
  if (!s) return { exists: false };
  const m = s.mode;
  const out: Record<string, unknown> = {
    exists: true,
    path,
    mode: fmtMode(m),
    isdir: s.type === 'directory',
    ischr: s.type === 'char',
    isblk: s.type === 'block',
    isreg: s.type === 'file',
    isfifo: s.type === 'fifo',
    islnk: s.type === 'link',
    issock: s.type === 'socket',
    uid: s.uid,
    gid: s.gid,
    size: s.size,
    inode: s.inode,
    dev: s.dev,
    nlink: s.nlink,
    ...(x ? { atime: x.atime, mtime: x.mtime, ctime: x.ctime } : { mtime: s.mtime }),
    wusr: !!(m & 0o200), rusr: !!(m & 0o400), xusr: !!(m & 0o100),
    wgrp: !!(m & 0o020), rgrp: !!(m & 0o040), xgrp: !!(m & 0o010),
    woth: !!(m & 0o002), roth: !!(m & 0o004), xoth: !!(m & 0o001),
    isuid: !!(m & 0o4000), isgid: !!(m & 0o2000),
    ...(x ? { blocks: x.blocks, block_size: x.block_size, device_type: x.device_type } : {}),
  };
  if (st.access) Object.assign(out, { readable: st.access.r, writeable: st.access.w, executable: st.access.x });
  if (s.type === 'link') {
    if (st.realpath !== undefined) out.lnk_source = st.realpath;
    out.lnk_target = st.linkTarget;
  }
  // stat prints UNKNOWN for an id without a name: Ansible then leaves the name out
  if (s.owner !== 'UNKNOWN') out.pw_name = s.owner;
  if (s.group !== 'UNKNOWN') out.gr_name = s.group;
  const readable = st.access?.r !== false;
  if (s.type === 'file' && readable && more.md5 !== undefined) out.md5 = more.md5;
  if (o.checksum && s.type === 'file' && readable && st.checksum) out.checksum = st.checksum;
  if (o.mime) Object.assign(out, more.mime ?? { mimetype: 'unknown', charset: 'unknown' });
  if (o.attrs) {
    const a = more.attrs;
    Object.assign(out, { version: a?.version ?? null, attributes: a ? [...a.attr_flags].filter((c) => c in FILE_ATTRIBUTES).map((c) => FILE_ATTRIBUTES[c]) : [], attr_flags: a?.attr_flags ?? '' });
  }
  return out;
}

type StatFacts = { file: { st: FileState; more: StatMore } };

const algoOf = (p: StatParams): Algo => p.checksum_algorithm ?? p.checksum ?? p.checksum_algo ?? 'sha1';
const firstBool = (...v: (boolean | undefined)[]) => v.find((b) => b !== undefined);

export const stat: Module<StatParams, StatFacts> = {
  name: 'stat',
  reasonIsMsg: false,
  doc: 'Information about a remote path: registers `stat` as Ansible does (exists, isdir, isreg, islnk, mode, uid, gid, pw_name, gr_name, size, atime, mtime, ctime, checksum, mimetype, charset, attributes...).',
  schema: object(
    {
      path: str('The path (aliases: dest, name).'),
      dest: str('Alias of path.'),
      name: str('Alias of path.'),
      follow: bool('Follow a symlink (report on its target).', false),
      get_checksum: bool('Compute the checksum of a regular file.', true),
      checksum_algorithm: strEnum(['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'], 'Algorithm for checksum (default sha1, like Ansible; aliases: checksum, checksum_algo).'),
      checksum: strEnum(['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'], 'Alias of checksum_algorithm.'),
      checksum_algo: strEnum(['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'], 'Alias of checksum_algorithm.'),
      get_mime: bool("The path's mimetype and charset, from `file` (aliases: mime, mime_type, mime-type).", true),
      mime: bool('Alias of get_mime.'),
      mime_type: bool('Alias of get_mime.'),
      'mime-type': bool('Alias of get_mime.'),
      get_attributes: bool("The path's attributes, from `lsattr` (aliases: attr, attributes).", true),
      attr: bool('Alias of get_attributes.'),
      attributes: bool('Alias of get_attributes.'),
      get_md5: bool('The MD5 of a regular file too (key md5).', false),
    },
    { anyOf: [{ required: ['path'] }, { required: ['dest'] }, { required: ['name'] }] },
  ),
  prepare: (p) => ({ ...p, path: p.path ?? p.dest ?? p.name }),
  facts(p) {
    const mime = firstBool(p.get_mime, p.mime, p.mime_type, p['mime-type']) !== false;
    const attrs = firstBool(p.get_attributes, p.attr, p.attributes) !== false;
    const opts = { checksum: p.get_checksum === false ? (false as const) : algoOf(p), access: true };
    const f: Fact<{ st: FileState; more: StatMore }> = {
      cmd: `${statExtraCmd(p.path!, { mime, attrs, md5: p.get_md5 === true })}\n(\n${fileFactCmd(p.path!, opts)}\n)`,
      parse(r: ExecResult) {
        const { more, rest } = parseStatMore(r.stdout);
        return { st: parseFileState(p.path!, { ...r, stdout: rest }, opts), more };
      },
      explain: (v) => fileCheck(v.st, false),
    };
    return { file: f };
  },
  plan(p, facts) {
    const mime = firstBool(p.get_mime, p.mime, p.mime_type, p['mime-type']) !== false;
    const attrs = firstBool(p.get_attributes, p.attr, p.attributes) !== false;
    const d = statDict(p.path!, facts.file.st, facts.file.more, { follow: p.follow === true, checksum: p.get_checksum !== false, mime, attrs });
    return { kind: 'ok', reason: `${p.path}: ${d.exists ? (d.isdir ? 'directory' : d.islnk ? 'symlink' : d.isreg ? 'file' : 'exists') : 'does not exist'}`, result: { stat: d } };
  },
};

export interface SlurpParams { src?: string; path?: string }

export const slurp: Module<SlurpParams, { data: { content: string } }> = {
  name: 'slurp',
  reasonIsMsg: false,
  doc: 'Read a remote file: registers content (base64) and encoding. Fails when the file is missing.',
  schema: object(
    { src: str('The remote file (alias: path).'), path: str('Alias of src.') },
    { anyOf: [{ required: ['src'] }, { required: ['path'] }] },
  ),
  prepare: (p) => ({ ...p, src: p.src ?? p.path }),
  facts: (p) => ({
    data: {
      // exit codes: the errno Python's open() would get (ENOENT, EACCES, EISDIR)
      cmd: `p=${q(p.src!)}; if [ -d "$p" ]; then exit 21; elif [ ! -e "$p" ]; then exit 2; elif [ ! -r "$p" ]; then exit 13; fi; base64 < "$p"`,
      parse(r) {
        // Ansible's slurp words
        if (r.code === 2) throw new Error(`file not found: ${p.src}`);
        if (r.code === 13) throw new Error(`file is not readable: ${p.src}`);
        if (r.code === 21) throw new Error(`source is a directory and must be a file: ${p.src}`);
        if (r.code !== 0) throw new Error(`unable to slurp file: ${r.stderr.trim()}`);
        return { content: r.stdout.replace(/\s+/g, '') };
      },
    },
  }),
  plan: (p, facts) => ({ kind: 'ok', reason: `${p.src}: read ${Math.floor((facts.data.content.length * 3) / 4)} bytes`, result: { content: facts.data.content, encoding: 'base64', source: p.src } }),
};
