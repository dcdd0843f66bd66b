/**
 * Parameter validation against each module's JSON Schema (the only importer of ajv).
 * Schemas are compiled once per module (allErrors, strict). Errors become InputErrors at the
 * position of the offending key/value in the YAML (hidden positions from yaml/load.ts).
 */
import { toBool } from '../../util/truth.js';
import { pyStr } from '../../template/py.js';
import { closest } from '../../util/suggest.js';
import { createRequire } from 'node:module';
import type { Ajv as AjvT, ErrorObject, ValidateFunction } from 'ajv';
import { InputError, type Loc } from '../../util/errors.js';
import { copyLoc, itemLocOf, keyLocOf, locOf, renameKey, valueLocOf } from '../../yaml/load.js';
import type { ModuleInfo } from './types.js';
import { builtFile } from './built.js';
import { MODE_PATTERN } from '../../util/mode.js';

/** The options every validator is compiled with (also by scripts/gen-validators.mjs at build time). */
export const AJV_OPTIONS = {
  allErrors: true,
  strict: true,
  strictRequired: false,
  allowUnionTypes: true,
  verbose: true,
  // a property's other names (schema.ts): resolved before validation, an annotation for ajv
  keywords: ['aliases'],
};

const req = createRequire(import.meta.url);
let ajv: AjvT | undefined;
const compiled = new WeakMap<object, ValidateFunction>();

/** A short hash of a schema: a precompiled validator is used only for the exact schema it was built from. */
export function schemaHash(schema: object): string {
  const s = JSON.stringify(schema);
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16);
}

/**
 * dist/validators/NAME.cjs, written at build time (ajv standalone code; compiling costs ~10 ms a
 * module), one file a module so a run reads only the validators of the modules its playbook uses.
 */
function precompiled(mod: ModuleInfo): ValidateFunction | undefined {
  const file = /^[a-z0-9_]+$/.test(mod.name) ? builtFile(`validators/${mod.name}.cjs`) : undefined;
  if (!file) return undefined; // not built: compile at run time
  const p = req(file) as { validate?: ValidateFunction; hash?: string };
  return p.validate && p.hash === schemaHash(mod.schema) ? p.validate : undefined;
}

function validatorFor(mod: ModuleInfo): ValidateFunction {
  let v = compiled.get(mod.schema);
  if (!v) {
    v = precompiled(mod);
    if (!v) {
      try {
        ajv ??= new (req('ajv').Ajv as typeof AjvT)(AJV_OPTIONS);
        v = ajv.compile(mod.schema);
      } catch (e) {
        throw new Error(`schema of module ${mod.name} is invalid: ${(e as Error).message}`);
      }
    }
    compiled.set(mod.schema, v);
  }
  return v;
}

/** Compile every schema now (a test/startup check). */
export function compileAll(mods: ModuleInfo[]): void {
  for (const m of mods) validatorFor(m);
}

export function isTemplated(v: unknown): boolean {
  return typeof v === 'string' && (v.includes('{{') || v.includes('{%'));
}


const ALIASES = new WeakMap<object, Map<string, string>>();

/** The other names of a schema's parameters (`aliases` of each property, schema.ts): alias -> parameter. */
export function aliasTable(schema: object): Map<string, string> {
  let t = ALIASES.get(schema);
  if (!t) {
    t = new Map();
    for (const [k, p] of Object.entries((schema as { properties?: Record<string, { aliases?: string[] }> }).properties ?? {})) {
      for (const a of p.aliases ?? []) t.set(a, k);
    }
    ALIASES.set(schema, t);
  }
  return t;
}

/** Every name a module's parameters answer to: their own and their aliases. */
export function paramNames(mod: ModuleInfo): string[] {
  return [...Object.keys((mod.schema as { properties?: object }).properties ?? {}), ...aliasTable(mod.schema).keys()];
}

/**
 * Ansible's aliases, resolved in ONE place before validation and before the module sees its
 * parameters: `dest: /x` reads as `path: /x` (YAML positions move along). As Ansible's
 * `_handle_aliases` (module_utils/common/parameters.py): for each parameter in schema order, each
 * of its aliases given, in declared order, sets the parameter, so the last alias given wins; an
 * alias given when the parameter is already set (directly or by an earlier alias), whatever the
 * values, is `[parameter, alias]` in `both` (aliasWarnings: "Both option X and its alias Y are set.").
 * A null value is "not given" here, as everywhere in kvplay's parameters.
 */
export function resolveAliases(mod: ModuleInfo, params: Record<string, unknown>): { params: Record<string, unknown>; both: [string, string][] } {
  const both: [string, string][] = [];
  if (!aliasTable(mod.schema).size) return { params, both };
  let out = params;
  for (const [k, p] of Object.entries((mod.schema as { properties?: Record<string, { aliases?: string[] }> }).properties ?? {})) {
    for (const a of p.aliases ?? []) {
      if (!Object.hasOwn(params, a) || params[a] == null) continue;
      if (out[k] != null) both.push([k, a]);
      out = renameKey(out, a, k, params[a]);
    }
  }
  return { params: out, both };
}

/**
 * The warnings for a parameter given under two of its names (resolveAliases): Ansible's text, at
 * the alias's key; the alias's value is the one used, as in Ansible.
 */
export function aliasWarnings(mod: ModuleInfo, rawParams: unknown, loc?: Loc): InputError[] {
  if (!rawParams || typeof rawParams !== 'object' || Array.isArray(rawParams)) return [];
  return resolveAliases(mod, rawParams as Record<string, unknown>).both.map(
    ([k, a]) => new InputError(`Both option ${k} and its alias ${a} are set.`, keyLocOf(rawParams, a) ?? loc, `the value of '${a}' is used, as in Ansible: give only one of them`),
  );
}

/** The parts of a JSON Schema node read here. */
interface SchemaNode {
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  required?: string[];
  propertyNames?: unknown;
}

/** The parts of ajv's error params read here. */
interface ErrorParams {
  additionalProperty?: string;
  missingProperty?: string;
  type?: string | string[];
  allowedValues?: unknown[];
  pattern?: string;
  propertyName?: string;
}

function typesOf(s: SchemaNode | undefined): string[] {
  if (!s || s.type === undefined) return [];
  return Array.isArray(s.type) ? s.type : [s.type];
}

/**
 * Ansible-ish scalar coercion of top-level params (a new object, positions kept):
 * 'yes'/'no'/'true'/'false'/'on'/'off' for booleans, numeric strings for integer/number params,
 * numbers/booleans (and lists/dicts: their Python str()) for string-only params; null means "not given" and is dropped
 * (but kept as the value of a variable where the keys are variable names).
 * mode stays as given.
 */
export function coerceParams(mod: ModuleInfo, given: Record<string, unknown>): Record<string, unknown> {
  const params = resolveAliases(mod, given).params;
  const props: Record<string, SchemaNode> = (mod.schema as SchemaNode).properties ?? {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params ?? {})) {
    // ...except a variable set to null (set_fact: {x: ~}), which Ansible keeps (schemas whose keys are variable names)
    if (v === undefined || (v === null && (k in props || !(mod.schema as SchemaNode).propertyNames))) continue;
    const t = typesOf(props[k]);
    let nv: unknown = v;
    if (t.length === 1 && t[0] === 'boolean' && (typeof v === 'string' || typeof v === 'number')) {
      nv = toBool(v) ?? v;
    } else if ((t.includes('integer') || t.includes('number')) && !t.includes('string') && typeof v === 'string') {
      const s = v.trim();
      if (t.includes('integer') ? /^[-+]?\d+$/.test(s) : /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) nv = Number(s);
    } else if (t.length === 1 && t[0] === 'string' && (typeof v === 'number' || typeof v === 'boolean')) {
      nv = String(v);
    } else if (t.length === 1 && t[0] === 'string' && typeof v === 'object') {
      // a list or dict for a string parameter is its Python str(), as Ansible's check_type_str does
      // (a template result such as "[{{ a }}, {{ b }}]" reads as a list, as in Ansible)
      nv = pyStr(v);
    } else if (t.length === 1 && t[0] === 'array' && typeof v === 'string') {
      nv = [v];
    }
    out[k] = nv;
  }
  return copyLoc(params, out);
}

function segments(instancePath: string): string[] {
  return instancePath === '' ? [] : instancePath.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function at(root: unknown, segs: string[]): unknown {
  let cur: unknown = root;
  for (const s of segs) cur = cur == null ? undefined : (cur as Record<string, unknown>)[s];
  return cur;
}

function valueLoc(root: unknown, segs: string[]): Loc | undefined {
  if (!segs.length) return locOf(root);
  const parent = at(root, segs.slice(0, -1));
  const last = segs[segs.length - 1];
  return Array.isArray(parent) ? itemLocOf(parent, Number(last)) : valueLocOf(parent, last);
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 57) + '...' : s;
}

function kindOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v === 'object' ? 'mapping' : typeof v;
}

export interface ValidateOpts {
  /** where the module's parameters are (task line): used when no better position is known */
  loc?: Loc;
  /** load-time check before templating: values containing {{ or {% are not checked */
  static: boolean;
}

/**
 * The errors of validateParams that are about names (an unknown parameter), not values: the loader
 * refuses these (a typo is caught before anything runs); a wrong value fails its task when it runs,
 * as in Ansible (src/playbook/tasks.ts).
 */
export const UNKNOWN_NAMES = new WeakSet<InputError>();

/** Validate a module's params; [] when valid. */
export function validateParams(mod: ModuleInfo, rawParams: unknown, opts: ValidateOpts): InputError[] {
  const v = validatorFor(mod);
  if (!rawParams || typeof rawParams !== 'object' || Array.isArray(rawParams)) {
    return [new InputError(`${mod.name}: parameters must be a mapping, got ${kindOf(rawParams)}`, opts.loc, 'write the parameters as key: value lines under the module name')];
  }
  const { params } = resolveAliases(mod, rawParams as Record<string, unknown>);
  const props = Object.keys((mod.schema as SchemaNode).properties ?? {});
  const out: InputError[] = [];
  const seen = new Set<string>();
  const push = (msg: string, loc: Loc | undefined, hint?: string, name = false) => {
    if (seen.has(msg)) return;
    seen.add(msg);
    const err = new InputError(`${mod.name}: ${msg}`, loc ?? opts.loc, hint ?? `${mod.name} takes: ${props.join(', ')}`);
    if (name) UNKNOWN_NAMES.add(err);
    out.push(err);
  };
  const table = aliasTable(mod.schema);
  const data = coerceParams(mod, params);
  if (v(data)) return [];
  const errs = (v.errors ?? []).filter((e) => e.keyword !== 'if');
  // anyOf of pure "required" branches: "one of a, b is required"
  const consumed = new Set<ErrorObject>();
  for (const e of errs) {
    if (e.keyword !== 'anyOf') continue;
    const branches = errs.filter((b) => b !== e && b.schemaPath.startsWith(e.schemaPath + '/'));
    branches.forEach((b) => consumed.add(b));
    consumed.add(e);
    const keys = ((e.schema as SchemaNode[] | undefined) ?? []).map((s) => (s.required?.length === 1 ? s.required[0] : undefined));
    if (keys.every(Boolean)) {
      const target = at(data, segments(e.instancePath));
      if (keys.some((k) => target && typeof target === 'object' && (k as string) in (target as object))) continue;
      push(`one of the parameters ${keys.map((k) => `'${k}'`).join(', ')} is required`, opts.loc ?? locOf(params));
    } else if (!(opts.static && isTemplated(at(data, segments(e.instancePath))))) {
      push(`parameter '${segments(e.instancePath).join('.')}' ${e.message}`, valueLoc(params, segments(e.instancePath)));
    }
  }
  for (const e of errs) {
    if (consumed.has(e)) continue;
    const segs = segments(e.instancePath);
    const value = at(data, segs);
    const name = segs.join('.');
    if (opts.static && segs.length && isTemplated(value) && e.keyword !== 'additionalProperties') continue;
    const p = e.params as ErrorParams;
    switch (e.keyword) {
      case 'additionalProperties': {
        const target = at(params, segs);
        const key = p.additionalProperty as string;
        const cands = segs.length ? Object.keys((e.parentSchema as SchemaNode | undefined)?.properties ?? {}) : paramNames(mod);
        const near = closest(key, cands);
        push(`unknown parameter '${key}'`, keyLocOf(target, key), near ? `did you mean '${near}'?` : `valid parameters: ${cands.join(', ')}`, true);
        break;
      }
      case 'required': {
        const also = segs.length ? [] : [...table].filter(([, k]) => k === p.missingProperty).map(([a]) => a);
        const hint = also.length ? `give ${p.missingProperty} (also spelled ${also.join(', ')})` : undefined;
        push(`missing required parameter '${[...segs, p.missingProperty].join('.')}'`, segs.length ? valueLoc(params, segs) : opts.loc ?? locOf(params), hint);
        break;
      }
      case 'type':
        push(`parameter '${name}' must be ${String(p.type).replace(/,/g, ' or ')}, got ${kindOf(value)} ${show(value)}`, valueLoc(params, segs));
        break;
      case 'enum': {
        const allowed = p.allowedValues as unknown[];
        const near = typeof value === 'string' ? closest(value, allowed.map(String)) : undefined;
        push(`parameter '${name}' must be one of: ${allowed.join(', ')} (got ${show(value)})`, valueLoc(params, segs), near ? `did you mean '${near}'?` : undefined);
        break;
      }
      case 'not': {
        const req = (e.schema as SchemaNode | undefined)?.required;
        if (req) push(`parameters ${req.map((k) => `'${k}'`).join(' and ')} are mutually exclusive`, keyLocOf(params, req[1]), 'give only one of them');
        else push(`parameter '${name}' ${e.message}`, valueLoc(params, segs));
        break;
      }
      case 'pattern':
        if (e.propertyName !== undefined) break; // reported by propertyNames
        if (p.pattern === MODE_PATTERN) push(`parameter '${name}' is not a valid mode: ${show(value)}`, valueLoc(params, segs), "use octal ('0644') or symbolic ('u=rw,g=r,o=r') modes");
        else if (p.pattern === '%s') push(`parameter '${name}' must contain %s (the temporary file to check)`, valueLoc(params, segs), "e.g. validate: 'visudo -cf %s'");
        else push(`parameter '${name}' must match ${p.pattern} (got ${show(value)})`, valueLoc(params, segs));
        break;
      case 'propertyNames':
        push(`invalid variable name '${p.propertyName}'`, keyLocOf(params, p.propertyName as string), 'names use letters, digits and _, and do not start with a digit');
        break;
      case 'minProperties':
        push('needs at least one parameter', opts.loc ?? locOf(params));
        break;
      default:
        push(`parameter '${name || '(all)'}' ${e.message}`, valueLoc(params, segs));
    }
  }
  return out;
}
