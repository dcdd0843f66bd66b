/**
 * /etc/fstab and /proc/self/mountinfo: pure parsers, the fstab edit for one mount point, and
 * the comparison of a live mount with the wanted one (source, type, and the options the kernel
 * shows: generic VFS flags, FUSE allow_other/default_permissions, NFS vers/proto/hard/soft/sec).
 */

export interface FstabEntry {
  src: string;
  path: string;
  fstype: string;
  opts: string;
  dump: string;
  passno: string;
}

export interface LiveMount {
  path: string;
  src: string;
  fstype: string;
  /** per-mount options + superblock options */
  opts: string[];
}

/** fstab/mountinfo octal escapes (\040 = space). */
export function unescapeMnt(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
}

export function escapeMnt(s: string): string {
  return s.replace(/[\\ \t\n]/g, (c) => '\\' + c.charCodeAt(0).toString(8).padStart(3, '0'));
}

export function normMountPath(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

/** The visible mount at `path` (the last one mounted there), from /proc/self/mountinfo text (a line format: the kernel escapes a newline in a path as \012). */
export function parseMountinfo(text: string, path: string): LiveMount | undefined {
  const want = normMountPath(path);
  let found: LiveMount | undefined;
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const dash = f.indexOf('-');
    if (dash < 6 || f.length < dash + 4) continue;
    const mp = unescapeMnt(f[4]);
    if (mp !== want) continue;
    found = { path: mp, src: unescapeMnt(f[dash + 2]), fstype: f[dash + 1], opts: [...f[5].split(','), ...f[dash + 3].split(',')] };
  }
  return found;
}

export function formatFstab(e: FstabEntry): string {
  return [escapeMnt(e.src), escapeMnt(e.path), e.fstype, e.opts, e.dump, e.passno].join(' ') + '\n';
}

function fstabFields(line: string): FstabEntry | undefined {
  if (/^\s*(#|$)/.test(line)) return undefined;
  const f = line.trim().split(/\s+/);
  if (f.length < 2) return undefined;
  return { src: unescapeMnt(f[0]), path: unescapeMnt(f[1]), fstype: f[2] ?? 'auto', opts: f[3] ?? 'defaults', dump: f[4] ?? '0', passno: f[5] ?? '0' };
}

/** The fstab entry for path, if any. */
export function findFstab(text: string, path: string): FstabEntry | undefined {
  const want = normMountPath(path);
  for (const line of text.split('\n')) {
    const e = fstabFields(line);
    if (e && normMountPath(e.path) === want) return e;
  }
  return undefined;
}

/** Pure fstab edit: the entry for `want.path` present as given, or absent. */
export function editFstab(old: string | null, want: FstabEntry, state: 'present' | 'absent'): { text: string | null; msg: string } {
  const text = old ?? '';
  const lines = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const path = normMountPath(want.path);
  const idx = lines.map((l, i) => (normMountPath(fstabFields(l)?.path ?? '\0') === path ? i : -1)).filter((i) => i >= 0);
  if (state === 'absent') {
    if (!idx.length) return { text: old, msg: `${path}: no fstab entry` };
    return { text: lines.filter((_, i) => !idx.includes(i)).join(''), msg: `${path}: fstab entry removed` };
  }
  const line = formatFstab(want);
  if (idx.length === 1) {
    const cur = fstabFields(lines[idx[0]])!;
    if (cur.src === want.src && cur.fstype === want.fstype && cur.opts === want.opts && cur.dump === want.dump && cur.passno === want.passno) {
      return { text: old, msg: `${path}: fstab entry as wanted` };
    }
  }
  if (idx.length) {
    lines[idx[0]] = line;
    for (const i of idx.slice(1)) lines[i] = '';
    return { text: lines.join(''), msg: `${path}: fstab entry updated` };
  }
  let out = lines.join('');
  if (out && !out.endsWith('\n')) out += '\n';
  return { text: out + line, msg: `${path}: fstab entry added` };
}

const FLAG_PAIRS: Record<string, string> = { suid: 'nosuid', dev: 'nodev', exec: 'noexec' };
const SHOWN = new Set(['nosuid', 'nodev', 'noexec', 'noatime', 'relatime', 'strictatime', 'nodiratime', 'sync', 'dirsync', 'mand']);

function isNfs(t: string): boolean {
  return t === 'nfs' || t === 'nfs4';
}

function normSrc(s: string): string {
  return s.replace(/(.):(\/.*?)\/+$/, '$1:$2');
}

/**
 * Differences between the live mount and the wanted one ([] = as wanted). Options the kernel
 * does not show (_netdev, reconnect, IdentityFile=..., x-systemd.*) cannot be compared and
 * are ignored.
 */
export function mountDiffs(live: LiveMount, src: string, fstype: string, opts: string): string[] {
  const out: string[] = [];
  if (normSrc(live.src) !== normSrc(src)) out.push(`source ${live.src} -> ${src}`);
  const typeOk = live.fstype === fstype || (isNfs(live.fstype) && isNfs(fstype)) || (fstype === 'sshfs' && live.fstype === 'fuse.sshfs');
  if (!typeOk) out.push(`type ${live.fstype} -> ${fstype}`);
  const has = new Set(live.opts);
  const kv = new Map(live.opts.filter((o) => o.includes('=')).map((o) => [o.slice(0, o.indexOf('=')), o.slice(o.indexOf('=') + 1)] as [string, string]));
  const want = opts.split(',').map((o) => o.trim()).filter(Boolean);
  const ro = want.includes('ro');
  if (ro && !has.has('ro')) out.push('rw -> ro');
  if (!ro && has.has('ro')) out.push('ro -> rw');
  for (const o of want) {
    if (SHOWN.has(o) && !has.has(o)) out.push(`+${o}`);
    else if (o in FLAG_PAIRS && has.has(FLAG_PAIRS[o])) out.push(`${FLAG_PAIRS[o]} -> ${o}`);
    else if (live.fstype.startsWith('fuse') && (o === 'allow_other' || o === 'default_permissions') && !has.has(o)) out.push(`+${o}`);
    else if (isNfs(live.fstype)) {
      const [k, v] = o.split('=');
      if ((k === 'hard' || k === 'soft') && !has.has(k)) out.push(`+${k}`);
      if ((k === 'vers' || k === 'nfsvers') && v && !(kv.get('vers') ?? '').startsWith(v)) out.push(`vers=${kv.get('vers')} -> ${v}`);
      if ((k === 'proto' || k === 'sec') && v && kv.get(k) !== v) out.push(`${k}=${kv.get(k)} -> ${v}`);
    }
  }
  return out;
}
