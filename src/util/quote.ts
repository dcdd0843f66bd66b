/** POSIX sh quoting. Every user value that reaches a command line goes through here. */

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quote one word for POSIX sh: abc -> abc, a b -> 'a b', it's -> 'it'\''s', '' -> ''. */
export function q(s: string | number): string {
  const v = String(s);
  if (v === '') return "''";
  return SAFE.test(v) ? v : qAlways(v);
}

/** Quote always, even a safe word (a command word that must not read as an assignment or keyword). */
export function qAlways(s: string): string {
  // a NUL cannot be part of an argument: the host would silently cut the word there
  if (s.includes('\0')) throw new Error(`a command argument holds a NUL byte ("\\0"), which no command line can carry: ${JSON.stringify(s.length > 80 ? s.slice(0, 77) + '...' : s)}`);
  return "'" + s.replace(/'/g, `'\\''`) + "'";
}

/** Quote an argv into one command line. */
export function argv(...words: (string | number)[]): string {
  return words.map(q).join(' ');
}

/** Tagged template: sh`cat ${path}` quotes every interpolated value (arrays become several words). */
export function sh(strings: TemplateStringsArray, ...values: unknown[]): string {
  let out = strings[0];
  values.forEach((v, i) => {
    out += Array.isArray(v) ? v.map((x) => q(String(x))).join(' ') : q(String(v));
    out += strings[i + 1];
  });
  return out;
}
