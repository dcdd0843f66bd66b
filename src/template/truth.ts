/**
 * The ONE truth rule of conditions (`when:`, `assert: that:`, `changed_when:`, `failed_when:`,
 * `until:`): Python's truth, as Ansible 2.14 evaluates `{% if cond %}`. None, false, 0, '', [] and
 * {} are false; every other string is true, "no" and "false" included. An undefined value fails.
 * Keyword and parameter booleans ("yes"/"no") use src/util/truth.ts `boolish` instead.
 */
export { pyTruth as truthy } from './py.js';
