/**
 * The forms a secret takes in kvplay's output, and a fast multi-string matcher over them.
 * A secret reaches the screen raw, but also escaped by whatever rendered it: JSON (debug output of
 * a dict, --json, --report, loop labels), Python repr and json.dumps (a dict templated into a
 * string, to_json), YAML quoting (to_yaml), sh quoting (q(): command lines), base64 (b64encode),
 * and cut short by a truncating message ("run echo hunter2sec...").
 */
import { stringify as yamlStringify } from 'yaml';
import { pyJson, pyRepr } from '../template/py.js';
import { q } from '../util/quote.js';

/** What a match is replaced with. */
export const REDACTED = '********';

/** A truncated secret is recognised from this many leading characters followed by an ellipsis. */
const MIN_PREFIX = 4;

const ELLIPSES = ['...', '\u2026'];

/** The text between the quotes of a quoted string. */
const inner = (quoted: string): string => quoted.trim().slice(1, -1);

/** JSON.stringify without its quotes: the form of `s` inside a JSON (or YAML double-quoted) string. */
export const jsonInner = (s: string): string => inner(JSON.stringify(s));

/** The encodings of `s` (raw first), each also once more JSON-escaped (a form inside a JSON document). */
export function secretForms(s: string): string[] {
  const forms = new Set<string>([s, jsonInner(s)]);
  const add = (f: () => string) => {
    try {
      const x = f();
      if (x) forms.add(x);
    } catch {
      /* an encoder that cannot take this value: nothing to match */
    }
  };
  add(() => inner(pyJson(s, null, false, true))); // to_json / json.dumps (ensure_ascii: \uXXXX)
  add(() => inner(pyRepr(s))); // Python repr: a dict or list templated into a string
  add(() => inner(yamlStringify(s, { defaultStringType: 'QUOTE_DOUBLE', lineWidth: 0 }))); // YAML "..."
  add(() => s.replace(/'/g, "''")); // YAML '...'
  add(() => {
    const sh = q(s); // a command line (command's cmd, the -vv step)
    return sh.startsWith("'") ? inner(sh) : sh;
  });
  add(() => Buffer.from(s, 'utf8').toString('base64')); // b64encode
  for (const f of [...forms]) forms.add(jsonInner(f));
  return [...forms];
}

/** A match may be vetoed by position (the JSON text net only accepts matches inside strings). */
export type Veto = (start: number, end: number) => boolean;
/** Makes the veto for one text (called again on the text after a first pass replaced matches). */
export type VetoFor = (text: string) => Veto;

const HEAD = 3; // every form is at least 3 characters (MIN_SECRET_LENGTH)
const headKey = (s: string, i: number): number => s.charCodeAt(i) * 2 ** 32 + s.charCodeAt(i + 1) * 2 ** 16 + s.charCodeAt(i + 2);

/**
 * Finds any of many strings (the forms of every secret) in one pass: candidates are indexed by
 * their first three characters and tried longest first, so a form containing another is masked as
 * a whole. Also masks a truncated form: at least MIN_PREFIX leading characters right before "..."
 * or "…".
 */
export class Matcher {
  private readonly byHead = new Map<number, string[]>();
  private readonly maxLen: number;

  constructor(forms: Iterable<string>) {
    let max = 0;
    for (const f of new Set(forms)) {
      if (typeof f !== 'string' || f.length < HEAD) continue;
      const k = headKey(f, 0);
      const list = this.byHead.get(k);
      if (list) list.push(f);
      else this.byHead.set(k, [f]);
      max = Math.max(max, f.length);
    }
    for (const list of this.byHead.values()) list.sort((a, b) => b.length - a.length);
    this.maxLen = max;
  }

  get empty(): boolean {
    return this.byHead.size === 0;
  }

  replace(s: string, vetoFor?: VetoFor): string {
    if (this.empty || s.length < HEAD) return s;
    const w = this.whole(s, vetoFor?.(s));
    if (!ELLIPSES.some((e) => w.includes(e))) return w;
    return this.prefixes(w, vetoFor?.(w));
  }

  /** every whole occurrence, leftmost first */
  private whole(s: string, ok?: Veto): string {
    let out = '';
    let last = 0;
    for (let i = 0; i + HEAD <= s.length; ) {
      const cands = this.byHead.get(headKey(s, i));
      let hit = 0;
      if (cands) {
        for (const f of cands) {
          if (s.startsWith(f, i) && (!ok || ok(i, i + f.length))) {
            hit = f.length;
            break;
          }
        }
      }
      if (hit) {
        out += s.slice(last, i) + REDACTED;
        i += hit;
        last = i;
      } else i++;
    }
    return last === 0 ? s : out + s.slice(last);
  }

  /** a form cut short before an ellipsis: the longest such prefix is masked, the ellipsis kept */
  private prefixes(s: string, ok?: Veto): string {
    let out = '';
    let last = 0;
    const ends: number[] = [];
    for (const e of ELLIPSES) for (let i = s.indexOf(e); i >= 0; i = s.indexOf(e, i + 1)) ends.push(i);
    ends.sort((a, b) => a - b);
    for (const e of ends) {
      // the stub ends right at the ellipsis, or before a closing quote: "hunter2sec"... (V8)
      for (const end of s[e - 1] === '"' || s[e - 1] === "'" ? [e, e - 1] : [e]) {
        const start = end - last >= MIN_PREFIX ? this.stubStart(s, Math.max(last, end - Math.min(this.maxLen, 4096)), end, ok) : -1;
        if (start >= 0) {
          out += s.slice(last, start) + REDACTED;
          last = end;
          break;
        }
      }
    }
    return last === 0 ? s : out + s.slice(last);
  }

  /** where the longest stub of a form ending at `end` starts (searching from `from`), or -1 */
  private stubStart(s: string, from: number, end: number, ok?: Veto): number {
    for (let j = from; j <= end - MIN_PREFIX; j++) {
      const cands = this.byHead.get(headKey(s, j));
      if (!cands) continue;
      const len = end - j;
      for (const f of cands) if (f.length > len && s.startsWith(f.slice(0, len), j) && (!ok || ok(j, end))) return j;
    }
    return -1;
  }
}

/**
 * Positions of JSON text where a match may start or end: inside a string literal and not inside an
 * escape sequence (`\"`, `\\`, `\u00e9`). Masking there keeps the document valid JSON.
 */
export function jsonStringVeto(text: string): Veto {
  // 0: outside any string, 1: in a string at a character boundary, 2: inside an escape sequence
  const cls = new Uint8Array(text.length + 1);
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!inStr) {
      if (c === 0x22) inStr = true;
      continue;
    }
    if (c === 0x22) {
      inStr = false;
      continue;
    }
    cls[i] = 1;
    if (c === 0x5c) {
      const n = text.charCodeAt(i + 1) === 0x75 ? 5 : 1; // \uXXXX or \X
      for (let k = 1; k <= n && i + k < text.length; k++) cls[i + k] = 2;
      i += n;
    }
  }
  // the end of a match may be the closing quote (class 0 right after class 1 or the end of an escape)
  return (start, end) => {
    if (cls[start] !== 1) return false;
    if (cls[end] === 2) return false;
    for (let k = start; k < end; k++) if (cls[k] === 0) return false;
    return true;
  };
}
