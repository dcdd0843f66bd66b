/**
 * Which values are secrets, shared by the engine (collects them into the run's secrets) and the
 * templating (a secret-named variable is a secret once rendered, e.g. from a lookup).
 */

/** Variable names whose values are secrets (never printed). */
export const SECRET_VAR = /(^|_)(password|passwd|pass|secret|token|api_key|private_key_passphrase)$/i;

/** Records one secret value. */
export type SecretSink = (value: string) => void;

/**
 * The key under which a task's vars carry the run's SecretSink (set by the engine, read by the
 * templating when it renders a secret-named variable). A symbol: never a variable, never printed.
 */
export const SECRET_SINK: unique symbol = Symbol('kvplay.secretSink');

/** The sink carried by a vars object, if any. */
export function sinkOf(vars: object | null | undefined): SecretSink | undefined {
  const s = vars ? (vars as { [SECRET_SINK]?: unknown })[SECRET_SINK] : undefined;
  return typeof s === 'function' ? (s as SecretSink) : undefined;
}

/** A variable path (`db.password`, `hostvars.h1.creds[0]`) at or under a secret-named variable. */
export function isSecretPath(path: string): boolean {
  return path.split(/[.[\]]+/).some((seg) => seg !== '' && SECRET_VAR.test(seg));
}

/** Every string (and, with `numbers`, number) leaf of `v`, nested dicts and lists too, into `add`. */
export function addSecretLeaves(v: unknown, add: SecretSink, numbers = true, depth = 0): void {
  if (typeof v === 'string') {
    if (v !== '') add(v);
  } else if (typeof v === 'number') {
    if (numbers) add(String(v));
  } else if (isData(v) && depth < 20) {
    for (const x of Array.isArray(v) ? v : Object.values(v)) addSecretLeaves(x, add, numbers, depth + 1);
  }
}

/** A list or a plain dict (not an undefined-variable marker, a Date or another class instance). */
function isData(v: unknown): v is object {
  if (!v || typeof v !== 'object') return false;
  if (Array.isArray(v)) return true;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Secrets among rendered values (set_fact results, templated vars): the leaves of every
 * secret-named key, at any depth.
 */
export function addNamedSecrets(v: unknown, add: SecretSink, depth = 0): void {
  if (!isData(v) || depth > 20) return;
  for (const [k, x] of Array.isArray(v) ? v.entries() : Object.entries(v)) {
    if (typeof k === 'string' && SECRET_VAR.test(k)) addSecretLeaves(x, add);
    else addNamedSecrets(x, add, depth + 1);
  }
}
