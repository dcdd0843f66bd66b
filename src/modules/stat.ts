/** stat and slurp: read-only information about remote files (always ok). */
import { q } from '../util/quote.js';
import type { ExecResult } from '../transport/types.js';
import type { Fact, Module } from '../engine/module/types.js';
import { fileFactSections, parseFileSections, type FileState, type StatInfo } from '../facts/file.js';
import { okOut, parseSections, PROBES, sectionScript, type SectionCmd, type Sections } from '../facts/sections.js';
import { fmtMode } from '../util/mode.js';
import { fileCheck } from '../engine/module/explain.js';
import { bool, object, str, strEnum, type Static } from '../engine/module/schema.js';

type Algo = 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

export type StatParams = Static<typeof statSchema>;

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
 * The sections of what Ansible's stat adds to the file fact (src/facts/file.ts), in the same script:
 * xl/xf (lstat/stat extra), mime (`file --mime-type --mime-encoding`, as Ansible runs it: on the
 * path itself), attrs (`lsattr -vd`: version and flags), md5. No section holds a name (file -b;
 * lsattr's first two words).
 */
export function statExtraSections(o: { mime: boolean; attrs: boolean; md5: boolean }): SectionCmd[] {
  const cmds: SectionCmd[] = [
    ['xl', '[ $e = yes ] && stat -c "$X" -- "$p"'],
    ['xf', '[ -L "$p" ] && [ -e "$p" ] && stat -L -c "$X" -- "$p"'],
  ];
  if (o.mime) cmds.push(['mime', '[ $e = yes ] && r=$(file -b --mime-type --mime-encoding -- "$p" 2>/dev/null) && printf \'%s\\n\' "$r" | head -n 1']);
  if (o.attrs) cmds.push(['attrs', '[ $e = yes ] && r=$(lsattr -vd -- "$p" 2>/dev/null) && printf \'%s\\n\' "$r" | { read -r v f _; printf \'%s %s\\n\' "$v" "$f"; }']);
  if (o.md5) cmds.push(['md5', '[ $e = yes ] && [ -f "$p" ] && [ -r "$p" ] && md5sum < "$p"']);
  return cmds;
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

/** Pure parser of the statExtraSections sections. */
export function parseStatMore(s: Sections): StatMore {
  const more: StatMore = {};
  const text = (n: string) => okOut(s[n]);
  if (text('xl') !== undefined) more.l = parseExtra(text('xl')!);
  if (text('xf') !== undefined) more.f = parseExtra(text('xf')!);
  const mime = text('mime');
  if (mime !== undefined) {
    // as Ansible: "type; charset=..." or nothing
    const parts = mime.split(';');
    const cs = parts[1]?.split('=')[1];
    if (parts.length === 2 && cs !== undefined) more.mime = { mimetype: parts[0].trim(), charset: cs.trim() };
  }
  const attrs = text('attrs');
  if (attrs !== undefined) {
    const [version, flags] = attrs.split(' ');
    if (version && flags !== undefined) more.attrs = { version, attr_flags: flags.replace(/-/g, '') };
  }
  const md5 = text('md5');
  if (md5 !== undefined) more.md5 = md5.trim().split(/\s+/)[0] || undefined;
  return more;
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

const algoOf = (p: StatParams): Algo => p.checksum_algorithm ?? 'sha1';

const statSchema = object(
  {
    path: str('The path (aliases: dest, name).', { aliases: ['dest', 'name'] }),
    follow: bool('Follow a symlink (report on its target).', false),
    get_checksum: bool('Compute the checksum of a regular file.', true),
    checksum_algorithm: strEnum(['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'], 'Algorithm for checksum (default sha1, like Ansible; aliases: checksum, checksum_algo).', { aliases: ['checksum', 'checksum_algo'] }),
    get_mime: bool("The path's mimetype and charset, from `file` (aliases: mime, mime_type, mime-type).", true, { aliases: ['mime', 'mime_type', 'mime-type'] }),
    get_attributes: bool("The path's attributes, from `lsattr` (aliases: attr, attributes).", true, { aliases: ['attr', 'attributes'] }),
    get_md5: bool('The MD5 of a regular file too (key md5).', false),
  },
  { required: ['path'] },
);

export const stat: Module<StatParams, StatFacts> = {
  name: 'stat',
  reasonIsMsg: false,
  doc: 'Information about a remote path: registers `stat` as Ansible does (exists, isdir, isreg, islnk, mode, uid, gid, pw_name, gr_name, size, atime, mtime, ctime, checksum, mimetype, charset, attributes...).',
  schema: statSchema,
  facts(p) {
    const mime = p.get_mime !== false;
    const attrs = p.get_attributes !== false;
    const opts = { checksum: p.get_checksum === false ? (false as const) : algoOf(p), access: true };
    const file = fileFactSections(p.path!, opts);
    const f: Fact<{ st: FileState; more: StatMore }> = {
      cmd: sectionScript([...file.cmds, ...statExtraSections({ mime, attrs, md5: p.get_md5 === true })], { ...PROBES, prelude: `${file.prelude}; X=${q(XFMT)}` }),
      parse(r: ExecResult) {
        const s = parseSections(r.stdout);
        return { st: parseFileSections(p.path!, s, r, opts), more: parseStatMore(s) };
      },
      explain: (v) => fileCheck(v.st, false),
    };
    return { file: f };
  },
  plan(p, facts) {
    const mime = p.get_mime !== false;
    const attrs = p.get_attributes !== false;
    const d = statDict(p.path!, facts.file.st, facts.file.more, { follow: p.follow === true, checksum: p.get_checksum !== false, mime, attrs });
    return { kind: 'ok', reason: `${p.path}: ${d.exists ? (d.isdir ? 'directory' : d.islnk ? 'symlink' : d.isreg ? 'file' : 'exists') : 'does not exist'}`, result: { stat: d } };
  },
};

export type SlurpParams = Static<typeof slurpSchema>;

const slurpSchema = object(
  { src: str('The remote file (alias: path).', { aliases: ['path'] }) },
  { required: ['src'] },
);

export const slurp: Module<SlurpParams, { data: { content: string } }> = {
  name: 'slurp',
  reasonIsMsg: false,
  doc: 'Read a remote file: registers content (base64) and encoding. Fails when the file is missing.',
  schema: slurpSchema,
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
