/**
 * Ansible's boolean() (module_utils/parsing/convert_bool.py): the ONE conversion of keyword values
 * (become, ignore_errors, no_log, ...), boolean module parameters and set_fact's "yes"/"no" strings.
 * Conditions (when, assert, changed_when, failed_when, until) do not use it: they use Python's truth
 * (src/template/truth.ts `truthy`), as Ansible 2.14 does, so `when: x` with x = 'no' is true.
 */
const BOOL_TRUE = new Set<unknown>(['y', 'yes', 'on', '1', 'true', 't', 1]);
const BOOL_FALSE = new Set<unknown>(['n', 'no', 'off', '0', 'false', 'f', 0]);

/** true/false for a boolean-like value (case-insensitive, trimmed), undefined for anything else. */
export function toBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  const n = typeof v === 'string' ? v.trim().toLowerCase() : v;
  if (BOOL_TRUE.has(n)) return true;
  if (BOOL_FALSE.has(n)) return false;
  return undefined;
}

/** Ansible's boolean(value, strict=False): anything not boolean-like is false. */
export function boolish(v: unknown): boolean {
  return toBool(v) ?? false;
}
