/**
 * Untrusted data stays data (Ansible's AnsibleUnsafe): data from managed hosts (registered
 * results, facts), everything a template derives from it, lookup results, and YAML `!unsafe`
 * values are never rendered as templates. The marks live in side tables, at two granularities:
 *  - whole objects, deep (markUnsafe): registered results, facts, rendered lists and dicts;
 *  - single properties, "the value under key k of o is unsafe" (markUnsafeKey), for strings,
 *    which are primitives and cannot carry a mark themselves; array items by index. YAML
 *    `!unsafe` is recorded by the loader (src/yaml/load.ts) and read here through unsafeTagged.
 * A render that reads unsafe data is tainted (Ctx.tainted in lazy.ts) and its result is unsafe.
 * Variable layers are merged with mergeVars / assignVars so the marks of the winning layer survive.
 */
import { unsafeTagged } from '../yaml/load.js';

type Obj = Record<string, unknown>;

const UNSAFE = new WeakSet<object>();
const KEYS = new WeakMap<object, Set<string>>();
const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** Mark `v` (and every object inside it) unsafe: its strings are never templated. Returns `v`. */
export function markUnsafe<T>(v: T, depth = 0): T {
  if (v && typeof v === 'object' && !UNSAFE.has(v) && depth < 100) {
    UNSAFE.add(v);
    for (const x of Array.isArray(v) ? v : Object.values(v)) markUnsafe(x, depth + 1);
  }
  return v;
}

/** Whether `v` is an object marked unsafe as a whole (markUnsafe, or tagged `!unsafe` in YAML). */
export function isUnsafe(v: unknown): boolean {
  return !!v && typeof v === 'object' && (UNSAFE.has(v) || unsafeTagged(v));
}

/** Mark (or, with on = false, unmark) the value under `key` of `obj` as unsafe. */
export function markUnsafeKey(obj: object, key: string | number, on = true): void {
  const k = String(key);
  let set = KEYS.get(obj);
  if (on) {
    if (!set) KEYS.set(obj, (set = new Set()));
    set.add(k);
  } else set?.delete(k);
}

/**
 * Whether the value under `key` of `obj` is unsafe: the key is marked (also by `!unsafe` in YAML)
 * or the object holding it is unsafe as a whole. Inherited keys are judged on the object that
 * owns them. (An unsafe object value is unsafe by itself: see isUnsafe.)
 */
export function isUnsafeKey(obj: object, key: string | number): boolean {
  const k = String(key);
  for (let o: object | null = obj; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    if (!own(o, k)) continue;
    return isUnsafe(o) || !!KEYS.get(o)?.has(k) || unsafeTagged(o, k);
  }
  return false;
}

/** out[key] = value as an own data property (safe for any key), marked unsafe or not. Returns out. */
export function setVar<T extends object>(out: T, key: string, value: unknown, unsafe: boolean): T {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  markUnsafeKey(out, key, unsafe);
  return out;
}

/**
 * Assign variable layers onto `target` (later layers win), each value keeping its layer's unsafe
 * mark: the Object.assign of variable layers.
 */
export function assignVars<T extends object>(target: T, ...layers: (object | null | undefined)[]): T {
  for (const l of layers) {
    if (!l) continue;
    for (const k of Object.keys(l)) setVar(target, k, (l as Obj)[k], isUnsafeKey(l, k));
    // enumerable symbol keys are engine plumbing, not variables (the secret sink): carried as Object.assign does
    for (const sym of Object.getOwnPropertySymbols(l)) if (Object.prototype.propertyIsEnumerable.call(l, sym)) (target as Record<symbol, unknown>)[sym] = (l as Record<symbol, unknown>)[sym];
  }
  return target;
}

/** A new (null-prototype) object merging variable layers, lowest precedence first, unsafe marks kept. */
export function mergeVars(...layers: (object | null | undefined)[]): Obj {
  return assignVars(Object.create(null) as Obj, ...layers);
}

/** A copy of `vars` with `name` set to `value` (unsafe or not), the other marks kept. */
export function withVar(vars: object, name: string, value: unknown, unsafe: boolean): Obj {
  return setVar(mergeVars(vars), name, value, unsafe);
}

/** Give the keys of `to` the unsafe marks of the same keys of `from` (for derived objects). */
export function carryUnsafe<T extends object>(from: object, to: T): T {
  for (const k of Object.keys(to)) if (own(from, k) && isUnsafeKey(from, k)) markUnsafeKey(to, k);
  return to;
}
