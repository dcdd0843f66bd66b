/**
 * get_url: Ansible's get_url: download a URL to a file on the host (curl there, src/modules/http.ts)
 * as Ansible's module does it: a dest whose `checksum` matches is not fetched again; otherwise a
 * conditional GET (If-Modified-Since the dest's mtime, unless force) into a temporary file, which
 * replaces dest only when its SHA1 differs; a given checksum is verified; mode/owner/group applied.
 * Results: dest, url, src, checksum_src/checksum_dest, md5sum, status_code, msg, elapsed, and the
 * path's information (owner, group, mode, state, size...). Check mode sends a HEAD request.
 */
import { posix } from 'node:path';
import { q } from '../util/quote.js';
import type { ActionResult, Module, ModuleCtx } from '../engine/module/types.js';
import { attrProps, bool, int, object, str, type Static, typed } from '../engine/module/schema.js';
import { fetchInfo, httpRequest } from './http.js';
import { parseStatLine, STAT_FMT } from './lib/fileops.js';
import { pathInfo } from './lib/pathinfo.js';
import { okOut, parseSections, PROBES, sectionScript } from '../facts/sections.js';
import { applyMode, fmtMode } from '../util/mode.js';

export type GetUrlParams = Static<typeof schema>;

const ALGOS = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'];

/** Ansible's checksum parameter: ALGO:HEX (a URL of a checksum file is not supported by kvplay). */
export function parseChecksum(c: string | undefined): { algo: string; sum: string } | undefined {
  if (!c) return undefined;
  const i = c.indexOf(':');
  if (i < 0) throw new Error('The checksum parameter has to be in format <algorithm>:<checksum>');
  const algo = c.slice(0, i);
  const raw = c.slice(i + 1);
  if (/^[a-z]+:\/\//i.test(raw)) throw new Error('checksum: a URL of a checksum file is not supported by kvplay (give ALGO:HEX)');
  if (!ALGOS.includes(algo)) throw new Error(`checksum: algorithm ${algo} is not supported (${ALGOS.join(', ')})`);
  const sum = raw.replace(/\W+/g, '').toLowerCase();
  if (!/^[0-9a-f]+$/.test(sum)) throw new Error('The checksum format is invalid');
  return { algo, sum };
}

/** Ansible's url_filename: the last path segment of the URL, else index.html. */
export function urlFilename(url: string): string {
  try {
    const name = posix.basename(new URL(url).pathname);
    return name || 'index.html';
  } catch {
    return 'index.html';
  }
}

/** The host's view of dest (kind: dir, file or none; sha1 and digest of a file) and a temp file to download into (tmp). */
function preScript(dest: string, algo: string | undefined, tmpDir: string | undefined): string {
  return sectionScript([
    ['kind', 'if [ -d "$d" ]; then echo dir; elif [ -e "$d" ]; then echo file; else echo none; fi'],
    ['sha1', '[ ! -d "$d" ] && [ -e "$d" ] && sha1sum < "$d" | cut -d" " -f1'],
    ...(algo ? [['digest', `[ ! -d "$d" ] && [ -e "$d" ] && ${algo}sum < "$d" | cut -d" " -f1`] as const] : []),
    ['tmp', `t=$(mktemp ${tmpDir !== undefined ? `-p ${q(tmpDir)}` : '"${TMPDIR:-/tmp}/kvplay-get_url.XXXXXXXX"'}) && printf '%s\\n' "$t"`],
  ], { ...PROBES, prelude: `d=${q(dest)}` });
}

/** After the download: the temp file's SHA1 (src), dest's (old, when it exists), nodir (rc 0: dest's directory is missing). */
function postScript(tmp: string, dest: string): string {
  return sectionScript([
    ['src', 'sha1sum < "$t" | cut -d" " -f1'],
    ['old', '[ -e "$d" ] && sha1sum < "$d" | cut -d" " -f1'],
    ['nodir', '[ ! -e "$d" ] && [ ! -d "$(dirname -- "$d")" ]'],
  ], { ...PROBES, prelude: `t=${q(tmp)}; d=${q(dest)}` });
}

async function sh(ctx: ModuleCtx, cmd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return ctx.transport.exec(cmd, { become: ctx.become });
}

export async function getUrl(p: GetUrlParams, ctx: ModuleCtx): Promise<ActionResult> {
  const result: Record<string, unknown> = { changed: false, checksum_dest: null, checksum_src: null, dest: p.dest, elapsed: 0, url: p.url };
  const fail = (msg: string, extra: Record<string, unknown> = {}): ActionResult => ({ changed: false, failed: true, msg, data: { ...result, ...extra, msg } });
  let ck: { algo: string; sum: string } | undefined;
  try {
    ck = parseChecksum(p.checksum);
  } catch (e) {
    return fail((e as Error).message);
  }
  const preR = await sh(ctx, preScript(p.dest, ck?.algo, p.tmp_dest));
  const pre = parseSections(preR.stdout);
  const tmp = okOut(pre.tmp);
  if (tmp === undefined) return fail(`cannot prepare the download${preR.stderr.trim() ? `: ${preR.stderr.trim()}` : ''}`);
  const cleanup = () => sh(ctx, `rm -f -- ${q(tmp)}`);
  const kind = okOut(pre.kind)?.trim();
  let dest = p.dest;
  let force = !!p.force;
  if (kind === 'file') {
    const mismatch = !force && ck !== undefined && okOut(pre.digest)?.trim() !== ck.sum;
    if (!force && ck && !mismatch) {
      await cleanup();
      const attrs = await applyAttrs(ctx, dest, p);
      if (attrs.error) return fail(attrs.error);
      return { changed: attrs.changed, msg: attrs.changed ? 'file already exists but file attributes changed' : 'file already exists', data: { ...result, changed: attrs.changed, ...attrs.info, msg: attrs.changed ? 'file already exists but file attributes changed' : 'file already exists' } };
    }
    if (mismatch) force = true;
  }
  const headers = Object.fromEntries(Object.entries(p.headers ?? {}).map(([k, v]) => [k, String(v)]));
  const a = await httpRequest(ctx.transport, ctx.become, {
    url: p.url,
    method: ctx.check ? 'HEAD' : 'GET',
    headers,
    user: p.url_username,
    password: p.url_password,
    timeout: p.timeout ?? 10,
    validateCerts: p.validate_certs ?? true,
    follow: true,
    ...(kind === 'file' && !force ? { ifModifiedSince: dest } : {}),
    saveTo: tmp,
  });
  const info = fetchInfo(a, p.url);
  result.elapsed = a.elapsed;
  if (a.status === 304) {
    await cleanup();
    const st = await statOf(ctx, dest);
    return { changed: false, msg: String(info.msg), data: { url: p.url, dest, changed: false, msg: info.msg, status_code: 304, elapsed: a.elapsed, ...(st ?? {}) } };
  }
  if (info.status === -1) {
    await cleanup();
    return { changed: false, failed: true, msg: String(info.msg), data: { msg: info.msg, url: p.url, dest, elapsed: a.elapsed } };
  }
  if (a.status !== 200) {
    await cleanup();
    return { changed: false, failed: true, msg: 'Request failed', data: { msg: 'Request failed', status_code: a.status, response: info.msg, url: p.url, dest, elapsed: a.elapsed } };
  }
  result.src = tmp;
  if (kind === 'dir') {
    const cd = a.headers.find(([k]) => k.toLowerCase() === 'content-disposition')?.[1];
    const m = cd ? /^attachment; ?filename="?([^"]+)/.exec(cd) : null;
    dest = posix.join(dest, m ? m[1] : urlFilename(String(info.url)));
    result.dest = dest;
  }
  // compare, replace, verify: one round trip on the host
  const post = parseSections((await sh(ctx, postScript(tmp, dest))).stdout);
  const src = okOut(post.src)?.trim() ?? '';
  const old = okOut(post.old)?.trim();
  result.checksum_src = src;
  if (old !== undefined) result.checksum_dest = old;
  if (post.nodir?.rc === 0) {
    await cleanup();
    return fail(`Destination ${posix.dirname(dest)} does not exist`);
  }
  if (ctx.check) {
    await cleanup();
    const changed = old === undefined || src !== old;
    return { changed, msg: String(info.msg ?? ''), data: { ...result, changed, msg: info.msg ?? '' } };
  }
  let changed = false;
  if (src !== old) {
    const mv = await sh(ctx, [`t=${q(tmp)}; d=${q(dest)}`, ...(p.backup && old !== undefined ? ['b="$d.$(date +%Y%m%dT%H%M%S).kvplay~"', 'cp -p -- "$d" "$b"', 'printf "B %s\\0\\n" "$b"'] : []), 'chmod 644 "$t" 2>/dev/null; [ -e "$d" ] && chmod --reference="$d" "$t" && chown --reference="$d" "$t" 2>/dev/null', 'mv -f -- "$t" "$d"'].join('\n'));
    if (mv.code !== 0) {
      await cleanup();
      return fail(`failed to copy ${tmp} to ${dest}: ${mv.stderr.trim()}`);
    }
    const b = /^B ([^\0]*)\0$/m.exec(mv.stdout);
    if (b) result.backup_file = b[1];
    changed = true;
  } else await cleanup();
  if (ck) {
    const v = await sh(ctx, `${ck.algo}sum < ${q(dest)} | cut -d' ' -f1`);
    const got = v.stdout.trim();
    if (got !== ck.sum) {
      await sh(ctx, `rm -f -- ${q(dest)}`);
      // as Ansible: the file was moved in before the check, so the failed result is changed
      const msg = `The checksum for ${dest} did not match ${ck.sum}; it was ${got}.`;
      return { changed, failed: true, msg, data: { ...result, changed, msg } };
    }
  }
  const attrs = await applyAttrs(ctx, dest, p);
  if (attrs.error) return fail(attrs.error);
  changed = changed || attrs.changed;
  const md5 = (await sh(ctx, `md5sum < ${q(dest)} | cut -d' ' -f1`)).stdout.trim();
  return { changed, msg: String(info.msg ?? ''), data: { ...result, changed, md5sum: md5 || null, msg: info.msg ?? '', status_code: a.status, ...attrs.info } };
}

async function statOf(ctx: ModuleCtx, path: string): Promise<Record<string, unknown> | undefined> {
  const r = await sh(ctx, `stat -c ${q(STAT_FMT)} -- ${q(path)}`);
  if (r.code !== 0) return undefined;
  try {
    return pathInfo(parseStatLine(r.stdout.split('\n')[0]));
  } catch {
    return undefined;
  }
}

/** mode/owner/group as Ansible's set_fs_attributes_if_different, then the path's information. */
async function applyAttrs(ctx: ModuleCtx, path: string, p: GetUrlParams): Promise<{ changed: boolean; info: Record<string, unknown>; error?: string }> {
  const before = await statOf(ctx, path);
  if (!before) return { changed: false, info: {} };
  const cmds: string[] = [];
  if (p.mode !== undefined) {
    let want: number;
    try {
      want = applyMode(p.mode, parseInt(String(before.mode), 8), false);
    } catch (e) {
      return { changed: false, info: before, error: (e as Error).message };
    }
    if (fmtMode(want) !== before.mode) cmds.push(`chmod ${fmtMode(want)} -- ${q(path)}`);
  }
  if (p.owner !== undefined && String(p.owner) !== String(before.owner) && String(p.owner) !== String(before.uid)) cmds.push(`chown ${q(String(p.owner))} -- ${q(path)}`);
  if (p.group !== undefined && String(p.group) !== String(before.group) && String(p.group) !== String(before.gid)) cmds.push(`chgrp ${q(String(p.group))} -- ${q(path)}`);
  if (!cmds.length) return { changed: false, info: before };
  if (!ctx.check) {
    const r = await sh(ctx, cmds.join(' && '));
    if (r.code !== 0) return { changed: false, info: before, error: r.stderr.trim() };
  }
  return { changed: true, info: (await statOf(ctx, path)) ?? before };
}

const schema = object(
  {
    url: str('The URL (http, https, ftp).'),
    dest: str('The file (or a directory: the URL\'s file name is used) on the host.'),
    force: bool('Download even when dest exists (default: a conditional request, If-Modified-Since dest).', false),
    checksum: str("ALGO:HEX (md5, sha1, sha224, sha256, sha384, sha512): a dest with it is not fetched again; the download is verified."),
    headers: typed<Record<string, unknown>>({ type: 'object', description: 'Request headers.' }),
    timeout: int('Seconds (default 10).', { minimum: 1 }),
    validate_certs: bool('Check the server certificate (default true).'),
    url_username: str('User for HTTP basic auth (alias username).', { aliases: ['username'] }),
    url_password: str('Password for HTTP basic auth (alias password); never on a command line.', { aliases: ['password'] }),
    force_basic_auth: bool('Send the credentials without waiting for a 401 (curl always does).'),
    backup: bool('Copy the old dest to DEST.YYYYMMDDTHHMMSS.kvplay~ before replacing it.', false),
    tmp_dest: str('The directory for the temporary download (default $TMPDIR or /tmp).'),
    ...attrProps,
  },
  { required: ['url', 'dest'] },
);

export const get_url: Module<GetUrlParams> = {
  name: 'get_url',
  doc: "Ansible's get_url: download a URL to a file on the host (curl there), replacing it only when the content differs; checksum, If-Modified-Since, mode/owner/group.",
  schema,
  action: (p, ctx) => getUrl(p, ctx),
};
