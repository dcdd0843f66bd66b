/**
 * The mount facts: /etc/fstab and /proc/self/mountinfo as data (pure parsers, octal escapes, an
 * fstab line from its fields). The mount module (src/modules/mount.ts) edits and compares them.
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

export function fstabFields(line: string): FstabEntry | undefined {
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
