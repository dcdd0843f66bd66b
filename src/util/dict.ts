/**
 * Tables keyed by user data (variable, host, group, role, handler names) are null-prototype
 * objects or Maps: a key such as `__proto__`, `constructor` or `toString` is then just a key.
 */

/** A null-prototype object holding the own enumerable properties of `parts`, later parts winning. */
export function dict<T = unknown>(...parts: Array<Record<string, T> | undefined | null>): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, ...parts.filter(Boolean));
}

