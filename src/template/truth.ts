/** Truthiness of `when:` / `changed_when:` / `failed_when:` results. */
import { Undef } from './core.js';
import { pyTruth } from './py.js';

const TRUE = new Set(['yes', 'y', 'true', 't', 'on', '1']);
const FALSE = new Set(['no', 'n', 'false', 'f', 'off', '0', '', 'none', 'null']);

/**
 * Python/Jinja truthiness (empty list/dict/string, 0 and None are false), plus Ansible's string
 * booleans: "yes"/"true"/"on"/"1" are true, "no"/"false"/"off"/"0"/"" are false (case-insensitive).
 */
export function truthy(v: unknown): boolean {
  if (v instanceof Undef) v.fail();
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (TRUE.has(s)) return true;
    if (FALSE.has(s)) return false;
    return s.length > 0;
  }
  return pyTruth(v);
}
