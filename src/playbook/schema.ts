/**
 * Types of play and task keywords, checked at load time (Ansible's FieldAttribute checks):
 * a wrong type is an InputError at the value's file:line:col with what is allowed, rather than
 * a value that is silently stringified ("[object Object]") or loops forever at run time.
 */
import { InputError, type Loc } from '../util/errors.js';
import { valueLocOf, itemLocOf, copyLoc } from '../yaml/load.js';
import { mergeVars } from '../template/index.js';

type Obj = Record<string, unknown>;

const isTemplated = (v: unknown) => typeof v === 'string' && (v.includes('{{') || v.includes('{%'));

/** A user value as it appears in messages: a string in quotes ('web'), anything else as JSON; shortened. */
export function showValue(v: unknown, max = 60): string {
  let s: string;
  try {
    s = typeof v === 'string' ? `'${v}'` : v === undefined ? 'nothing' : (JSON.stringify(v) ?? typeof v);
  } catch {
    s = Array.isArray(v) ? 'a list' : 'a mapping';
  }
  return s.length > max ? s.slice(0, max - 3) + '...' : s;
}

/** What a YAML value is, for messages: a mapping, a list, the number 5, the string "x". */
export function kindOf(v: unknown): string {
  if (v === null || v === undefined) return 'nothing (null)';
  if (Array.isArray(v)) return `a list (${showValue(v)})`;
  if (typeof v === 'object') return `a mapping (${showValue(v)})`;
  if (typeof v === 'string') return `the string ${showValue(v)}`;
  return `the ${typeof v} ${showValue(v)}`;
}

const at = (o: Obj, k: string, fallback: Loc) => valueLocOf(o, k) ?? fallback;

/** `name:` a string (numbers are fine, converted as Ansible does). Returns the name or undefined. */
export function checkName(o: Obj, loc: Loc, errors: InputError[]): string | undefined {
  const v = o.name;
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  errors.push(new InputError(`'name' must be a string, got ${kindOf(v)}`, at(o, 'name', loc), 'write one line of text, e.g. name: install packages (quote it if it starts with { or [)'));
  return undefined;
}

/** Keywords whose value is one string (a user name, a host name); numbers are fine. */
export function checkStrings(o: Obj, keys: string[], loc: Loc, errors: InputError[]): void {
  for (const k of keys) {
    const v = o[k];
    if (v === undefined || v === null || typeof v === 'string' || typeof v === 'number') continue;
    errors.push(new InputError(`'${k}' must be a string, got ${kindOf(v)}`, at(o, k, loc), `e.g. ${k}: NAME (or a template: "{{ var }}")`));
  }
}

/** `tags:` a string, a number or a list of those. */
export function checkTags(o: Obj, loc: Loc, errors: InputError[]): void {
  const v = o.tags;
  if (v === undefined || v === null) return;
  const ok = (x: unknown) => typeof x === 'string' || typeof x === 'number';
  if (ok(v)) return;
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      if (!ok(x)) errors.push(new InputError(`a tag must be a string or a number, got ${kindOf(x)}`, itemLocOf(v, i) ?? at(o, 'tags', loc), 'write tags: [web, db] or tags: web'));
    });
    return;
  }
  errors.push(new InputError(`'tags' must be a string or a list of strings, got ${kindOf(v)}`, at(o, 'tags', loc), 'write tags: [web, db] or tags: web'));
}

/** A string or a list of strings (notify, listen); numbers are converted. Others are errors. */
export function stringList(o: Obj, k: string, loc: Loc, errors: InputError[]): string[] {
  const v = o[k];
  if (v === undefined || v === null) return [];
  const one = (x: unknown, here: Loc | undefined): string[] => {
    if (typeof x === 'string') return [x];
    if (typeof x === 'number') return [String(x)];
    errors.push(new InputError(`'${k}' takes names (strings), got ${kindOf(x)}`, here ?? at(o, k, loc), `write ${k}: NAME or ${k}: [NAME, NAME]`));
    return [];
  };
  return Array.isArray(v) ? v.flatMap((x, i) => one(x, itemLocOf(v, i))) : one(v, at(o, k, loc));
}

/** Play `hosts:` a pattern string or a list of pattern strings (Ansible: "Hosts list must be a sequence or string"). */
export function checkHosts(o: Obj, loc: Loc, errors: InputError[]): boolean {
  const v = o.hosts;
  const hint = 'hosts is a pattern string (hosts: web:&prod) or a list of them (hosts: [web, db]); quote names that look like numbers';
  if (v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length)) return false; // reported by the caller
  if (typeof v === 'string') return true;
  if (Array.isArray(v)) {
    let good = true;
    v.forEach((x, i) => {
      if (typeof x !== 'string' || !x) {
        good = false;
        errors.push(new InputError(`the hosts list holds ${kindOf(x)}, not a host pattern`, itemLocOf(v, i) ?? at(o, 'hosts', loc), hint));
      }
    });
    return good;
  }
  errors.push(new InputError(`'hosts' must be a string or a list of strings, got ${kindOf(v)}`, at(o, 'hosts', loc), hint));
  return false;
}

const SERIAL_ITEM = /^\s*\d+(\.\d+)?%?\s*$/;

/** `serial:` an integer, "N%" or a list of those (or a template). */
export function checkSerial(o: Obj, loc: Loc, errors: InputError[]): void {
  const v = o.serial;
  if (v === undefined || v === null) return;
  const ok = (x: unknown) => (typeof x === 'number' && Number.isInteger(x) && x >= 0) || (typeof x === 'string' && (SERIAL_ITEM.test(x) || isTemplated(x)));
  const hint = 'serial is a number of hosts (serial: 2), a percentage (serial: "30%") or a list of those (serial: [1, 5, "50%"])';
  if (Array.isArray(v)) {
    if (!v.length) errors.push(new InputError("'serial' is an empty list", at(o, 'serial', loc), hint));
    v.forEach((x, i) => {
      if (!ok(x)) errors.push(new InputError(`a serial batch size must be an integer or "N%", got ${kindOf(x)}`, itemLocOf(v, i) ?? at(o, 'serial', loc), hint));
    });
  } else if (!ok(v)) errors.push(new InputError(`'serial' must be an integer, "N%" or a list of those, got ${kindOf(v)}`, at(o, 'serial', loc), hint));
}

/** An integer keyword (retries, delay, loop_control.pause), or a template checked at run time. */
export function checkInt(o: Obj, k: string, loc: Loc, errors: InputError[], min = 0): void {
  const v = o[k];
  if (v === undefined || v === null || isTemplated(v)) return;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n) || n < min) errors.push(new InputError(`'${k}' must be a number${min === 0 ? ' (0 or more)' : ''}, got ${kindOf(v)}`, at(o, k, loc), `e.g. ${k}: 5`));
}

/** A templated integer keyword's value at run time: a clear error instead of NaN (and an endless loop). */
export function runtimeInt(v: unknown, k: string, loc: Loc): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n) || n < 0) throw new InputError(`'${k}' must be a number (0 or more), got ${kindOf(v)}`, loc, `e.g. ${k}: 5, or a template that yields a number`);
  return n;
}

/**
 * `vars:` a mapping, or a list of mappings merged in order (Ansible's _load_vars, for plays, blocks
 * and tasks). Anything else is an error (Ansible: "Vars in a Play must be specified as a dictionary,
 * or a list of dictionaries"); returns the mapping, or undefined.
 */
export function varsField(o: Obj, loc: Loc, errors: InputError[]): Obj | undefined {
  const v = o.vars;
  if (v === undefined || v === null) return undefined;
  const isMap = (x: unknown): x is Obj => !!x && typeof x === 'object' && !Array.isArray(x);
  if (isMap(v)) return v;
  if (Array.isArray(v) && v.every(isMap)) return v.length ? copyLoc(v[v.length - 1], mergeVars(...v)) : {};
  const list: unknown[] = Array.isArray(v) ? v : [];
  const bad = list.findIndex((x) => !isMap(x));
  errors.push(new InputError(`'vars' must be a mapping or a list of mappings, got ${bad >= 0 ? `a list holding ${kindOf(list[bad])}` : kindOf(v)}`, at(o, 'vars', loc), 'write vars as "key: value" lines (or a list of such mappings)'));
  return undefined;
}

/** A percentage keyword (max_fail_percentage): a number or "N%" (Ansible's `percent`), or a template checked at run time. */
export function checkPercent(o: Obj, k: string, loc: Loc, errors: InputError[]): void {
  const v = o[k];
  if (v === undefined || v === null || isTemplated(v)) return;
  try {
    runtimePercent(v, k, at(o, k, loc));
  } catch (e) {
    if (e instanceof InputError) errors.push(e);
    else throw e;
  }
}

/** A percentage keyword's value (a template's, at run time): as Ansible's float() of it with the '%' removed. */
export function runtimePercent(v: unknown, k: string, loc: Loc): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*[-+]?\d+(\.\d*)?\s*%?\s*$/.test(v) ? Number(v.replace('%', '')) : NaN;
  if (!Number.isFinite(n)) throw new InputError(`'${k}' must be a number or "N%", got ${kindOf(v)}`, loc, `e.g. ${k}: 30 (the play stops when more than 30% of a batch's hosts failed)`);
  return n;
}
