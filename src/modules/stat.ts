/** stat and slurp: read-only information about remote files (always ok). */
import { q } from '../util/quote.js';
import type { Module } from './types.js';
import { fileFact, type FileState } from './util/fileops.js';
import { fmtMode } from './util/mode.js';
import { bool, object, str, strEnum } from './util/schema.js';

export interface StatParams {
  path?: string;
  dest?: string;
  name?: string;
  follow?: boolean;
  get_checksum?: boolean;
  checksum_algorithm?: 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
}

/** The `stat` dict (Ansible keys) from a FileState. */
export function statDict(path: string, st: FileState, follow: boolean, withChecksum: boolean): Record<string, unknown> {
  if (!st.exists) return { exists: false };
  const s = follow ? st.f : st.l;
  if (!s) return { exists: false };
  const out: Record<string, unknown> = {
    exists: true,
    path,
    mode: fmtMode(s.mode),
    isdir: s.type === 'directory',
    isreg: s.type === 'file',
    islnk: s.type === 'link',
    isblk: s.type === 'block',
    ischr: s.type === 'char',
    isfifo: s.type === 'fifo',
    issock: s.type === 'socket',
    uid: s.uid,
    gid: s.gid,
    pw_name: s.owner,
    gr_name: s.group,
    size: s.size,
    mtime: s.mtime,
    inode: s.inode,
    dev: s.dev,
    nlink: s.nlink,
    roth: !!(s.mode & 0o004), woth: !!(s.mode & 0o002), xoth: !!(s.mode & 0o001),
    rgrp: !!(s.mode & 0o040), wgrp: !!(s.mode & 0o020), xgrp: !!(s.mode & 0o010),
    rusr: !!(s.mode & 0o400), wusr: !!(s.mode & 0o200), xusr: !!(s.mode & 0o100),
    isuid: !!(s.mode & 0o4000), isgid: !!(s.mode & 0o2000),
  };
  if (st.access) Object.assign(out, { readable: st.access.r, writeable: st.access.w, executable: st.access.x });
  if (st.l?.type === 'link') {
    out.lnk_target = st.linkTarget;
    if (st.realpath) out.lnk_source = st.realpath;
  }
  if (withChecksum && s.type === 'file' && st.checksum) out.checksum = st.checksum;
  return out;
}

export const stat: Module<StatParams, { file: FileState }> = {
  name: 'stat',
  doc: 'Information about a remote path: registers `stat` (exists, isdir, isreg, islnk, mode, uid, gid, pw_name, gr_name, size, mtime, checksum...).',
  schema: object(
    {
      path: str('The path (aliases: dest, name).'),
      dest: str('Alias of path.'),
      name: str('Alias of path.'),
      follow: bool('Follow a symlink (report on its target).', false),
      get_checksum: bool('Compute the checksum of a regular file.', true),
      checksum_algorithm: strEnum(['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'], 'Algorithm for checksum (default sha1, like Ansible).'),
    },
    { anyOf: [{ required: ['path'] }, { required: ['dest'] }, { required: ['name'] }] },
  ),
  prepare: (p) => ({ ...p, path: p.path ?? p.dest ?? p.name }),
  facts: (p) => ({
    file: fileFact(p.path!, { checksum: p.get_checksum === false ? false : (p.checksum_algorithm ?? 'sha1'), access: true }),
  }),
  plan(p, facts) {
    const d = statDict(p.path!, facts.file, p.follow === true, p.get_checksum !== false);
    return { kind: 'ok', reason: `${p.path}: ${d.exists ? (d.isdir ? 'directory' : d.islnk ? 'symlink' : d.isreg ? 'file' : 'exists') : 'does not exist'}`, result: { stat: d } };
  },
};

export interface SlurpParams { src?: string; path?: string }

export const slurp: Module<SlurpParams, { data: { content: string } }> = {
  name: 'slurp',
  doc: 'Read a remote file: registers content (base64) and encoding. Fails when the file is missing.',
  schema: object(
    { src: str('The remote file (alias: path).'), path: str('Alias of src.') },
    { anyOf: [{ required: ['src'] }, { required: ['path'] }] },
  ),
  prepare: (p) => ({ ...p, src: p.src ?? p.path }),
  facts: (p) => ({
    data: {
      cmd: `if [ -d ${q(p.src!)} ]; then echo 'Is a directory' >&2; exit 2; fi; base64 < ${q(p.src!)}`,
      parse(r) {
        if (r.code !== 0) {
          const e = r.stderr.trim();
          throw new Error(/No such file/i.test(e) ? `file not found: ${p.src}` : `cannot read ${p.src}: ${e}`);
        }
        return { content: r.stdout.replace(/\s+/g, '') };
      },
    },
  }),
  plan: (p, facts) => ({ kind: 'ok', reason: `${p.src}: read ${Math.floor((facts.data.content.length * 3) / 4)} bytes`, result: { content: facts.data.content, encoding: 'base64', source: p.src } }),
};
