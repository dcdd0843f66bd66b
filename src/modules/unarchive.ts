/**
 * unarchive: Ansible's unarchive: a tar (gz, bz2, xz, zstd, plain) or zip archive from the
 * controller (uploaded; vault-encrypted ones decrypted) or already on the host (remote_src; a URL
 * is downloaded there with curl) is extracted into an existing directory, unless it is already
 * there. tar: `tar --diff` judged as Ansible judges it (missing files, mode/time/owner differences),
 * and check mode is skipped as in Ansible ("does not support check mode when using gtar").
 * zip: every entry exists with the same content (kvplay compares contents, not zip timestamps).
 * mode/owner/group are applied to every extracted path. Results: handler, dest, src,
 * extract_results, files (list_files), and dest's path information.
 */
import { readFileSync } from 'node:fs';
import { q } from '../util/quote.js';
import { decryptVaultBytes } from '../vault/loader.js';
import type { ActionResult, Module, ModuleCtx } from '../engine/module/types.js';
import { attrProps, bool, object, str, type Static, typed } from '../engine/module/schema.js';
import { parseStatLine, STAT_FMT } from './lib/fileops.js';
import { pathInfo } from './lib/pathinfo.js';
import { httpRequest } from './http.js';
import { globRegex } from '../inventory/pattern.js';

export type UnarchiveParams = Static<typeof schema>;

const TAR_HANDLERS: [string, string[]][] = [
  ['TgzArchive', ['-z']],
  ['TarArchive', []],
  ['TarBzipArchive', ['-j']],
  ['TarXzArchive', ['-J']],
  ['TarZstdArchive', ['--use-compress-program=zstd']],
];

const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Python's codecs.escape_decode of a tar --list line (GNU tar escapes newlines and non-printables). */
export function escapeDecode(s: string): string {
  const bytes: number[] = [];
  const enc = (x: string) => bytes.push(...Buffer.from(x, 'utf8'));
  const ESC: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, '\\': 92, "'": 39, '"': 34 };
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\' || i + 1 >= s.length) {
      enc(s[i]);
      continue;
    }
    const n = s[i + 1];
    const oct = /^[0-7]{1,3}/.exec(s.slice(i + 1));
    if (oct) {
      bytes.push(parseInt(oct[0], 8) & 255);
      i += oct[0].length;
    } else if (n in ESC) {
      bytes.push(ESC[n]);
      i++;
    } else enc('\\');
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Ansible's TgzArchive.is_unarchived: which `tar --diff` lines mean the archive is not (fully) there. */
export function tarDiffPending(out: string, o: { root: boolean; owner: boolean; group: boolean; mode: boolean }): string {
  let pending = '';
  for (const line of out.split('\n')) {
    if (/: : Warning: Cannot stat: No such file or directory$/.test(line)) continue;
    if (o.root && !o.owner && /: Uid differs$/.test(line)) pending += line + '\n';
    if (o.root && !o.group && /: Gid differs$/.test(line)) pending += line + '\n';
    if (!o.mode && /: Mode differs$/.test(line)) pending += line + '\n';
    if (/: Mod time differs$/.test(line)) pending += line + '\n';
    if (/: Warning: Cannot stat: No such file or directory$/.test(line)) pending += line + '\n';
    if (/: Invalid owner/.test(line)) pending += line + '\n';
    if (/: Invalid group/.test(line)) pending += line + '\n';
  }
  return pending;
}

async function sh(ctx: ModuleCtx, cmd: string, stdin?: Buffer | string) {
  return ctx.transport.exec(cmd, { become: ctx.become, ...(stdin !== undefined ? { stdin } : {}) });
}

export async function unarchive(p: UnarchiveParams, ctx: ModuleCtx): Promise<ActionResult> {
  const fail = (msg: string, data: Record<string, unknown> = {}): ActionResult => ({ changed: false, failed: true, msg, data: { ...data, msg } });
  if (p.copy !== undefined && p.remote_src !== undefined) return fail("parameters are mutually exclusive: ('copy', 'remote_src')");
  const remote = p.remote_src ?? (p.copy !== undefined ? !p.copy : false);
  if (p.creates !== undefined && (await sh(ctx, `[ -e ${q(p.creates)} ]`)).code === 0) return { changed: false, skipped: true, msg: `skipped, since ${p.creates} exists` };
  let local: Buffer | undefined;
  if (!remote) {
    try {
      const f = ctx.findFile('files', p.src);
      local = p.decrypt === false ? readFileSync(f) : decryptVaultBytes(readFileSync(f), f);
    } catch (e) {
      return fail((e as Error).message);
    }
  }
  const st = await sh(ctx, `if [ -d ${q(p.dest)} ]; then stat -L -c ${q(STAT_FMT)} -- ${q(p.dest)}; else exit 3; fi`);
  if (st.code !== 0) return fail(`dest '${p.dest}' must be an existing dir`);
  const destInfo = pathInfo(parseStatLine(st.stdout.split('\n')[0]));
  const tmp = (await sh(ctx, 'mktemp -d "${TMPDIR:-/tmp}/kvplay-unarchive.XXXXXXXX"')).stdout.trim();
  if (!tmp) return fail('cannot make a temporary directory on the host');
  try {
    let src = p.src;
    if (local) {
      src = `${tmp}/source`;
      const up = await sh(ctx, `cat > ${q(src)}`, local);
      if (up.code !== 0) return fail(`Source '${p.src}' failed to transfer`);
    } else if (p.src.includes('://')) {
      src = `${tmp}/download`;
      const a = await httpRequest(ctx.transport, ctx.become, { url: p.src, method: 'GET', timeout: 10, validateCerts: p.validate_certs ?? true, follow: true, saveTo: src });
      if (a.status !== 200) return fail(`Failure downloading ${p.src}, HTTP Error ${a.status}: ${a.reason}`);
    }
    const size = await sh(ctx, `[ -r ${q(src)} ] || exit 3; stat -L -c %s -- ${q(src)}`);
    if (size.code !== 0) return fail(remote ? `Source '${src}' does not exist` : `Source '${src}' failed to transfer`);
    if (Number(size.stdout.trim()) === 0) return fail(`Invalid archive '${src}', the file is 0 bytes`);
    const base = { dest: p.dest, src, ...destInfo };
    const excludes = list(p.exclude).map((x) => x.replace(/\/+$/, ''));
    const includes = list(p.include);
    const opts = list(p.extra_opts);
    // the handler: zip (unzip), else the first tar compression that lists files
    const zipList = await sh(ctx, `command -v unzip >/dev/null 2>&1 && LC_ALL=C unzip -Z -1 ${q(src)}`);
    if (zipList.code === 0 && zipList.stdout.trim()) {
      const files = zipList.stdout.split('\n').filter(Boolean).filter((f) => !excludes.some((e) => globRegex(e).test(f)));
      return await unzip(p, ctx, { src, tmp, files, excludes, base });
    }
    for (const [handler, flag] of TAR_HANDLERS) {
      const tarCmd = (verb: string, extra: string[] = []) => ['LC_ALL=C', 'tar', verb, '-C', q(p.dest), ...flag.map(q), ...(opts.length ? ['--show-transformed-names', ...opts.map(q)] : []), ...extra, ...excludes.map((e) => q(`--exclude=${e}`)), '-f', q(src), ...includes.map(q)].join(' ');
      const ls = await sh(ctx, `cd ${q(p.dest)} && ${tarCmd('--list')}`);
      if (ls.code !== 0 || !ls.stdout.trim()) continue;
      if (ctx.check) return { changed: false, skipped: true, msg: 'remote module (unarchive) does not support check mode when using gtar' };
      const files = ls.stdout.split('\n').filter(Boolean).map(escapeDecode).map((f) => f.replace(/^\//, '')).filter((f) => !excludes.some((e) => globRegex(e).test(f)));
      const attrOpts = [...(p.owner !== undefined ? [`--owner=${p.owner}`] : []), ...(p.group !== undefined ? [`--group=${p.group}`] : []), ...(p.keep_newer ? ['--keep-newer-files'] : [])].map(q);
      const diff = await sh(ctx, `cd ${q(p.dest)} && ${tarCmd('--diff', attrOpts)} 2>&1; id -u`);
      const lines = diff.stdout.trimEnd().split('\n');
      const uid = lines.pop();
      const pending = tarDiffPending(lines.join('\n'), { root: uid === '0', owner: p.owner !== undefined, group: p.group !== undefined, mode: p.mode !== undefined });
      let changed = false;
      const res: Record<string, unknown> = { handler, ...base };
      if (pending) {
        const cmd = `cd ${q(p.dest)} && ${tarCmd('--extract', attrOpts)}`;
        const x = await sh(ctx, cmd);
        res.extract_results = { cmd, rc: x.code, out: x.stdout, err: x.stderr };
        if (x.code !== 0) return fail(`failed to unpack ${src} to ${p.dest}`, res);
        changed = true;
      }
      changed = (await applyAttrs(ctx, p, files)) || changed;
      if (p.list_files) res.files = files;
      return { changed, data: { ...res, changed } };
    }
    return fail(`Failed to find handler for "${src}". Make sure the required command to extract the file is installed.`);
  } finally {
    await sh(ctx, `rm -rf -- ${q(tmp)}`);
  }
}

async function unzip(p: UnarchiveParams, ctx: ModuleCtx, o: { src: string; tmp: string; files: string[]; excludes: string[]; base: Record<string, unknown> }): Promise<ActionResult> {
  // the archive's entries as they would be, compared with dest: each must exist with the same content
  const x = `${o.tmp}/x`;
  const cmp = await sh(
    ctx,
    [
      `mkdir -p ${q(x)} && unzip -qq -o ${q(o.src)}${o.excludes.length ? ` -x ${o.excludes.map(q).join(' ')}` : ''} -d ${q(x)} >/dev/null 2>&1 || exit 3`,
      `cd ${q(x)} || exit 3`,
      // what the archive extracts to, NUL-separated (a name may hold a newline)
      `find . -mindepth 1 -print0 | xargs -0 -r sh -c ${q('d=$0; for f; do if [ -d "$f" ]; then [ -d "$d/$f" ] || echo D; elif ! cmp -s -- "$f" "$d/$f"; then echo D; fi; done')} ${q(p.dest)}`,
    ].join('\n'),
  );
  const res: Record<string, unknown> = { handler: 'ZipArchive', ...o.base };
  const pending = cmp.code === 3 || cmp.stdout.includes('D');
  if (ctx.check) return { changed: pending, data: { ...res, changed: pending } };
  let changed = false;
  if (pending) {
    const cmd = ['unzip', '-o', q(o.src), ...(o.excludes.length ? ['-x', ...o.excludes.map(q)] : []), '-d', q(p.dest)].join(' ');
    const r = await sh(ctx, cmd);
    res.extract_results = { cmd, rc: r.code, out: r.stdout, err: r.stderr };
    if (r.code !== 0) return { changed: false, failed: true, msg: `failed to unpack ${o.src} to ${p.dest}`, data: { ...res, msg: `failed to unpack ${o.src} to ${p.dest}` } };
    changed = true;
  }
  changed = (await applyAttrs(ctx, p, o.files)) || changed;
  if (p.list_files) res.files = o.files;
  return { changed, data: { ...res, changed } };
}

/** mode/owner/group on every extracted path and the top folders (Ansible's set_fs_attributes_if_different); true when any changed. */
async function applyAttrs(ctx: ModuleCtx, p: UnarchiveParams, files: string[]): Promise<boolean> {
  if (p.mode === undefined && p.owner === undefined && p.group === undefined) return false;
  const tops = [...new Set(files.filter((f) => f.includes('/')).map((f) => f.split('/')[0]))];
  const paths = [...files, ...tops.filter((t) => !files.includes(t) && !files.includes(`${t}/`))];
  const fix = [
    ...(p.owner !== undefined ? [`chown -h ${q(String(p.owner))} -- "$f"`] : []),
    ...(p.group !== undefined ? [`chgrp -h ${q(String(p.group))} -- "$f"`] : []),
    ...(p.mode !== undefined ? [`[ -L "$f" ] || chmod ${q(String(p.mode))} -- "$f"`] : []),
  ].join('; ');
  const r = await sh(
    ctx,
    `cd ${q(p.dest)} || exit 1; xargs -0 -r sh -c ${q(`for f; do [ -e "$f" ] || [ -L "$f" ] || continue; b=$(stat -c '%a %u %g' -- "$f"); ${fix}; a=$(stat -c '%a %u %g' -- "$f"); [ "$a" = "$b" ] || echo "C 1"; done`)} sh`,
    Buffer.from(paths.map((f) => f + '\0').join('')),
  );
  return /C 1/.test(r.stdout);
}

const schema = object(
  {
    src: str("The archive: a controller file (role's files/ or next to the playbook), or with remote_src a host path or URL."),
    dest: str('The existing directory to extract into.'),
    remote_src: bool('src is on the host (or a URL fetched there).', false),
    copy: bool('Deprecated opposite of remote_src.'),
    creates: str('Skip when this host path exists.'),
    list_files: bool('Register the archive\'s files.', false),
    keep_newer: bool('tar: do not replace files newer than the archive\'s.', false),
    exclude: typed<string[] | string>({ type: ['array', 'string'], items: { type: 'string' }, description: 'Entries not to extract (globs).' }),
    include: typed<string[] | string>({ type: ['array', 'string'], items: { type: 'string' }, description: 'tar: only these entries.' }),
    extra_opts: typed<string[] | string>({ type: ['array', 'string'], items: { type: 'string' }, description: 'tar: more options (e.g. --strip-components=1).' }),
    validate_certs: bool('A URL src: check the server certificate.', true),
    decrypt: bool('Decrypt a vault-encrypted controller src (default true).', true),
    ...attrProps,
  },
  { required: ['src', 'dest'], not: { required: ['include', 'exclude'] } },
);

export const unarchiveModule: Module<UnarchiveParams> = {
  name: 'unarchive',
  doc: "Ansible's unarchive: extract a tar or zip archive (from the controller, or on the host with remote_src, or a URL) into an existing directory, unless it is already there.",
  schema,
  action: (p, ctx) => unarchive(p, ctx),
};
