/** fetch: copy a remote file to the controller (atomic local write, only when it differs). */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { q } from '../util/quote.js';
import type { Module } from '../engine/module/types.js';
import { md5, sha1 } from './lib/fileops.js';
import { bool, object, str, type Static } from '../engine/module/schema.js';

export type FetchParams = Static<typeof schema>;

/** Where the file lands on the controller. */
export function fetchDest(p: FetchParams, host: string): string {
  if (p.flat) return resolve(p.dest.endsWith('/') ? join(p.dest, basename(p.src)) : p.dest);
  return resolve(join(p.dest, host, p.src));
}

/** Write a local file atomically: temp file in the same directory, then rename. */
export function writeLocalAtomic(path: string, data: Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.kvplay-${randomBytes(4).toString('hex')}`;
  try {
    writeFileSync(tmp, data, { flag: 'wx', mode: 0o644 });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

const schema = object(
  {
    src: str('The remote file (a file, not a directory).'),
    dest: str('Controller directory (or file with flat). Relative paths are relative to the working directory of kvplay.'),
    flat: bool('Write to dest itself (dest ending with / gets the basename of src) instead of DEST/HOSTNAME/SRC.', false),
    fail_on_missing: bool('Fail when the remote file is missing (false: ok with a message).', true),
    validate_checksum: bool('Check the transferred content against the remote checksum.', true),
  },
  { required: ['src', 'dest'] },
);

export const fetch: Module<FetchParams> = {
  name: 'fetch',
  readOnly: true,
  doc: 'Copy a file from the host to the controller: DEST/HOSTNAME/SRC, or DEST itself with flat. Written atomically, only when the content differs.',
  schema,
  async action(p, ctx) {
    // as Ansible's fetch action: not run in check mode (ended early: no failed key, no changed_when...)
    if (ctx.check) return { changed: false, skipped: true, final: true, msg: 'check mode not (yet) supported for this module' };
    const dest = fetchDest(p, ctx.host);
    const s = q(p.src);
    const r = await ctx.transport.exec(
      `if [ -f ${s} ]; then h=$(sha1sum < ${s}) || exit 4; echo "\${h%% *}"; elif [ -d ${s} ]; then exit 3; elif [ -e ${s} ]; then exit 5; else exit 2; fi`,
      { become: ctx.become },
    );
    if (r.code === 2) {
      // Ansible's words (its slurp said "file not found")
      const msg = 'the remote file does not exist, not transferring, ignored';
      if (p.fail_on_missing === false) return { changed: false, msg, data: { file: p.src } };
      return { changed: false, failed: true, msg, reason: `the remote file does not exist: ${p.src}`, data: { file: p.src } };
    }
    if (r.code === 3) {
      const msg = 'remote file is a directory, fetch cannot work on directories';
      if (p.fail_on_missing === false) return { changed: false, msg: `${msg}, not transferring, ignored` };
      return { changed: false, failed: true, msg };
    }
    if (r.code === 5) return { changed: false, failed: true, msg: `remote file is not a regular file: ${p.src}` };
    if (r.code !== 0) return { changed: false, failed: true, msg: `cannot read ${p.src}: ${r.stderr.trim()}` };
    const remoteSum = r.stdout.trim();
    const local = existsSync(dest) ? readFileSync(dest) : null;
    if (local && sha1(local) === remoteSum) {
      return { changed: false, reason: `${dest}: up to date`, data: { md5sum: md5(local), file: p.src, dest, checksum: remoteSum } };
    }
    const c = await ctx.transport.exec(`base64 < ${s}`, { become: ctx.become });
    if (c.code !== 0) return { changed: false, failed: true, msg: `cannot read ${p.src}: ${c.stderr.trim()}` };
    const bytes = Buffer.from(c.stdout.replace(/\s+/g, ''), 'base64');
    const got = sha1(bytes);
    if (p.validate_checksum !== false && got !== remoteSum) {
      return { changed: false, failed: true, msg: 'checksum mismatch', reason: `checksum mismatch after transfer of ${p.src} (the file changed meanwhile?)`, data: { md5sum: md5(bytes), file: p.src, dest, remote_md5sum: null, checksum: got, remote_checksum: remoteSum } };
    }
    writeLocalAtomic(dest, bytes);
    return { changed: true, reason: `${dest}: ${local ? 'updated' : 'created'} (${bytes.length} bytes)`, data: { md5sum: md5(bytes), dest, remote_md5sum: null, checksum: got, remote_checksum: remoteSum } };
  },
};
