/**
 * File modes: octal ('0644', '644', 644) and symbolic ('u+rwx,g-w,o=r', 'a+X') like chmod.
 * kvplay always computes the final numeric mode on the controller and runs `chmod NNNN`,
 * so a plan predicts exactly what applying does.
 *
 * A YAML number is read by its decimal digits as octal: `mode: 0644` and `mode: 644` both
 * mean rw-r--r-- (YAML 1.2 reads 0644 as the integer 644). Write modes as quoted strings
 * to be unambiguous.
 */

export const S_IFMT = 0o170000;

export const SYMBOLIC_CLAUSE = '[ugoa]*(?:[-+=](?:[rwxXst]*|[ugo]))+';
/** JSON Schema pattern for a mode string: octal or symbolic, or 'preserve' (copy/template) */
export const MODE_PATTERN = `^(?:[0-7]{1,4}|${SYMBOLIC_CLAUSE}(?:,${SYMBOLIC_CLAUSE})*|preserve)$`;
const SYMBOLIC_RE = new RegExp(`^${SYMBOLIC_CLAUSE}(?:,${SYMBOLIC_CLAUSE})*$`);

export type ModeSpec = string | number;

/** '0644' / '644' / 644 -> 0o644; null when not octal (symbolic). Throws on malformed input. */
export function parseOctalMode(m: ModeSpec): number | null {
  const s = typeof m === 'number' ? String(m) : m.trim();
  if (/^[0-7]{1,4}$/.test(s)) return parseInt(s, 8);
  if (typeof m === 'number') throw new Error(`invalid mode ${m}: digits must be 0-7 (write modes as quoted strings, e.g. '0644')`);
  if (SYMBOLIC_RE.test(s)) return null;
  throw new Error(`invalid mode '${m}': use octal ('0644') or symbolic ('u=rw,g=r,o=r')`);
}

/** Error message for a malformed mode, or null when fine. */
export function checkMode(m: ModeSpec): string | null {
  try {
    parseOctalMode(m);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

function classBits(who: string): { rwx: number; s: number; t: number } {
  let rwx = 0;
  let s = 0;
  let t = 0;
  for (const w of who) {
    if (w === 'u') { rwx |= 0o700; s |= 0o4000; }
    if (w === 'g') { rwx |= 0o070; s |= 0o2000; }
    if (w === 'o') { rwx |= 0o007; t = 0o1000; }
  }
  return { rwx, s, t };
}

function spread(three: number): number {
  return (three << 6) | (three << 3) | three;
}

/** Apply one symbolic mode string to `current` permission bits (07777). */
export function applySymbolic(mode: string, current: number, isDir: boolean): number {
  let cur = current & 0o7777;
  for (const clause of mode.split(',')) {
    const m = /^([ugoa]*)(.*)$/.exec(clause)!;
    let who = m[1].replace(/a/g, 'ugo');
    if (who === '') who = 'ugo';
    const cls = classBits(who);
    const mask = cls.rwx | cls.s | cls.t;
    const opRe = /([-+=])([ugo]|[rwxXst]*)/g;
    let op: RegExpExecArray | null;
    while ((op = opRe.exec(m[2]))) {
      const [, sign, perms] = op;
      let bits = 0;
      if (/^[ugo]$/.test(perms)) {
        const shift = perms === 'u' ? 6 : perms === 'g' ? 3 : 0;
        bits = spread((cur >> shift) & 7);
      } else {
        for (const p of perms) {
          if (p === 'r') bits |= 0o444;
          else if (p === 'w') bits |= 0o222;
          else if (p === 'x') bits |= 0o111;
          else if (p === 'X') { if (isDir || (cur & 0o111)) bits |= 0o111; }
          else if (p === 's') bits |= 0o6000;
          else if (p === 't') bits |= 0o1000;
        }
      }
      bits &= mask;
      if (sign === '+') cur |= bits;
      else if (sign === '-') cur &= ~bits;
      else {
        // '=': clear the classes' rwx and special bits (directories keep setuid/setgid, like GNU chmod)
        const clear = cls.rwx | cls.t | (isDir ? 0 : cls.s);
        cur = (cur & ~clear) | bits;
      }
    }
  }
  return cur & 0o7777;
}

/** The permission bits that `mode` gives a file whose bits are now `current`. */
export function applyMode(mode: ModeSpec, current: number, isDir: boolean): number {
  const oct = parseOctalMode(mode);
  if (oct !== null) return oct;
  return applySymbolic(String(mode).trim(), current, isDir);
}

/** 0o644 -> '0644', 0o4755 -> '4755' */
export function fmtMode(n: number): string {
  return (n & 0o7777).toString(8).padStart(4, '0');
}
