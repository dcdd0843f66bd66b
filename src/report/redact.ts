/**
 * Secret redaction for everything the reporter prints or writes (defense in depth: the engine
 * redacts too). A secret is masked in every form it can take (src/report/secretforms.ts): raw,
 * escaped (JSON, Python repr, YAML, sh quoting), base64, and cut short before an ellipsis.
 */
import { jsonStringVeto, Matcher, secretForms, jsonInner } from './secretforms.js';

export { REDACTED } from './secretforms.js';

/** Shown instead of a task result when the task has `no_log: true` (same text as Ansible). */
export const NO_LOG_RESULT = "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

/** Secrets shorter than this are ignored (masking "a" or "no" everywhere would destroy the output). */
export const MIN_SECRET_LENGTH = 3;

/**
 * Redacts a value before it is rendered (strings anywhere in it); `text` and `json` are the
 * second net, over rendered output: `text` over plain lines, `json` over a JSON document (it masks
 * only inside string literals, so the document stays valid JSON).
 */
export interface Redactor {
  (value: unknown): unknown;
  text(s: string): string;
  json(s: string): string;
}

const identity: Redactor = Object.assign((v: unknown) => v, { text: (s: string) => s, json: (s: string) => s });

/**
 * Build a redactor replacing every occurrence of every secret (length >= 3), in each of its forms,
 * with `********` in any string, recursively in arrays and plain objects (keys included). Other
 * values are returned unchanged; the input is never mutated. Longer forms are replaced first so a
 * secret containing another one is masked as a whole.
 */
export function createRedactor(secrets: readonly string[]): Redactor {
  const list = [...new Set(secrets.filter((s) => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH))];
  if (list.length === 0) return identity;
  const forms = list.flatMap(secretForms);
  const all = new Matcher(forms);
  const inJson = new Matcher(forms.map(jsonInner));

  const str = (s: string): string => all.replace(s);

  const walk = (v: unknown, seen: WeakMap<object, unknown>): unknown => {
    if (typeof v === 'string') return str(v);
    if (v === null || typeof v !== 'object') return v;
    if (seen.has(v)) return seen.get(v);
    if (Array.isArray(v)) {
      const arr: unknown[] = [];
      seen.set(v, arr);
      for (const x of v) arr.push(walk(x, seen));
      return arr;
    }
    if (v instanceof Error) {
      const e = new Error(str(v.message));
      e.name = v.name;
      return e;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return v; // Date, Buffer, class instances: as is
    const obj: Record<string, unknown> = proto === null ? Object.create(null) : {};
    seen.set(v, obj);
    for (const [k, x] of Object.entries(v)) obj[str(k)] = walk(x, seen);
    return obj;
  };

  return Object.assign((value: unknown) => walk(value, new WeakMap()), {
    text: str,
    json: (s: string) => inJson.replace(s, jsonStringVeto),
  });
}

/**
 * A redactor fed by a live secret source (secrets may appear during the run, e.g. vault vars).
 * The underlying redactor is rebuilt only when the list changes.
 */
export function dynamicRedactor(source: () => readonly string[]): Redactor {
  let key = '\u0000none';
  let current: Redactor = identity;
  const now = (): Redactor => {
    let secrets: readonly string[];
    try {
      secrets = source() ?? [];
    } catch {
      secrets = [];
    }
    const k = secrets.join('\u0000');
    if (k !== key) {
      key = k;
      current = createRedactor(secrets);
    }
    return current;
  };
  return Object.assign((value: unknown) => now()(value), { text: (s: string) => now().text(s), json: (s: string) => now().json(s) });
}
