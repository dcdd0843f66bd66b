/**
 * include_vars: load variables from YAML/JSON files on the CONTROLLER (a file, a list of files, or
 * a directory tree) into the host's variables, as Ansible's include_vars action does. The values
 * come from the playbook author's files: they are templates like play vars (rendered when used),
 * never unsafe. Vault-encrypted files (and `!vault` values) are decrypted by the YAML loader
 * (src/yaml/load.ts -> src/vault/loader.ts) and their values become secrets.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { InputError, InputErrors } from '../util/errors.js';
import { loadYamlFile } from '../yaml/load.js';
import { paramRegex } from '../util/pyre.js';
import { assignVars } from '../template/unsafe.js';
import type { ActionResult, Module, ModuleCtx } from '../engine/module/types.js';
import { bool, int, object, str, strEnum, strList, type Static, typed } from '../engine/module/schema.js';

export type IncludeVarsParams = Static<typeof schema>;

type Vars = Record<string, unknown>;
const isMap = (v: unknown): v is Vars => !!v && typeof v === 'object' && !Array.isArray(v);

/** Ansible's merge_hash (hash_behaviour: merge): mappings merged recursively, anything else replaced. */
export function mergeHash(a: unknown, b: unknown): unknown {
  if (!isMap(a) || !isMap(b)) return b;
  const out: Vars = Object.create(null);
  assignVars(out, a);
  for (const k of Object.keys(b)) assignVars(out, { [k]: Object.prototype.hasOwnProperty.call(out, k) ? mergeHash(out[k], b[k]) : b[k] });
  return out;
}

/**
 * The files of `root` in Ansible's order: os.walk's directories sorted by path, the first `depth`
 * of them (0: all; Ansible counts walked directories, not levels), each one's files sorted by name.
 * Pure over a directory reader, so it can be tested without a disk.
 */
export function walkVarsDir(root: string, depth: number, list: (d: string) => DirEntry[]): { dir: string; files: string[] }[] {
  const all: { dir: string; files: string[] }[] = [];
  const walk = (d: string) => {
    let entries: DirEntry[];
    try {
      entries = list(d);
    } catch {
      return; // Ansible logs unreadable directories and goes on
    }
    all.push({ dir: d, files: entries.filter((e) => !e.dir && !e.skip).map((e) => e.name) });
    for (const e of entries) if (e.dir) walk(join(d, e.name));
  };
  walk(root);
  // Python sorts the walk's (root, dirs, files) tuples by root string: code point order
  all.sort((x, y) => (x.dir < y.dir ? -1 : x.dir > y.dir ? 1 : 0));
  const picked = depth > 0 ? all.slice(0, depth) : all;
  for (const p of picked) p.files.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  return picked;
}

export interface DirEntry {
  name: string;
  /** a directory (walked into) */
  dir: boolean;
  /** not a loadable file: a symlink to a directory (os.walk does not follow it) or a broken symlink */
  skip?: boolean;
}

function diskList(d: string): DirEntry[] {
  return readdirSync(d, { withFileTypes: true }).map((e) => {
    if (!e.isSymbolicLink()) return { name: e.name, dir: e.isDirectory() };
    try {
      return { name: e.name, dir: false, skip: statSync(join(d, e.name)).isDirectory() };
    } catch {
      return { name: e.name, dir: false, skip: true };
    }
  });
}

/** Which files of a directory walk are loaded (Ansible's _load_files_in_dir filters), and which fail. */
export function pickVarsFiles(
  walked: { dir: string; files: string[] }[],
  p: IncludeVarsParams,
  roleMain?: string,
): { load: string[]; error?: string } {
  const exts = p.extensions ?? ['yaml', 'yml', 'json'];
  const matcher = p.files_matching !== undefined ? paramRegex(p.files_matching, 'files_matching') : undefined;
  const ignores = (p.ignore_files === undefined ? [] : Array.isArray(p.ignore_files) ? p.ignore_files : p.ignore_files.split(/\s+/).filter(Boolean)).map((x) => paramRegex(`${x}$`, 'ignore_files'));
  const validExt = (f: string) => exts.includes(extname(f).slice(1));
  const load: string[] = [];
  for (const { dir, files } of walked) {
    for (const f of files) {
      const path = join(dir, f);
      if (roleMain && path === roleMain) continue; // a role's vars/main.yml is loaded with the role
      if (matcher && !matcher.test(f)) continue;
      if (ignores.some((r) => r.test(f))) continue;
      if (!validExt(f)) {
        if (p.ignore_unknown_extensions) continue;
        return { load, error: `${path} does not have a valid extension: ${exts.join(', ')}` };
      }
      load.push(path);
    }
  }
  return { load };
}

/** One vars file: its mapping (an empty file is {}), or an error message as Ansible words it. */
function loadOne(file: string): { data?: Vars; error?: string } {
  const data = loadYamlFile(file);
  if (data === null || data === undefined || data === '' || (Array.isArray(data) && !data.length)) return { data: Object.create(null) };
  if (!isMap(data)) return { error: `${file} must be stored as a dictionary/hash` };
  return { data };
}

/** Python's class name of a YAML value, for Ansible's messages. */
const pyType = (v: unknown) => (v === null || v === undefined ? 'NoneType' : Array.isArray(v) ? 'list' : typeof v === 'string' ? 'str' : typeof v === 'boolean' ? 'bool' : typeof v === 'number' ? (Number.isInteger(v) ? 'int' : 'float') : 'dict');

const errText = (e: unknown) => (e instanceof InputError ? e.format() : e instanceof InputErrors ? e.errors.map((x) => x.format()).join('\n') : (e as Error).message);

export async function includeVars(p: IncludeVarsParams, ctx: Pick<ModuleCtx, 'findFile' | 'vars'>): Promise<ActionResult> {
  const fail = (message: string, files: string[] = []): ActionResult => ({
    changed: false,
    failed: true,
    msg: message,
    data: { message, ansible_facts: {}, ansible_included_var_files: files },
  });
  const results: Vars = Object.create(null);
  const included: string[] = [];
  const add = (file: string): string | undefined => {
    const r = loadOne(file);
    if (r.error) return r.error;
    assignVars(results, r.data); // top-level keys: the later file wins (hash_behaviour applies below)
    included.push(file);
    return undefined;
  };
  try {
    if (p.dir !== undefined) {
      let root: string;
      try {
        root = ctx.findFile('vars', p.dir);
      } catch {
        return fail(`${p.dir} directory does not exist`);
      }
      if (!statSync(root).isDirectory()) return fail(`${root} is not a directory`);
      const roleMain = basename(root) === 'vars' ? join(root, 'main.yml') : undefined;
      const { load, error } = pickVarsFiles(walkVarsDir(root, p.depth ?? 0, diskList), p, roleMain);
      for (const f of load) {
        const e = add(f);
        if (e) return fail(e, included);
      }
      if (error) return fail(error, included);
    } else {
      const src = p.file ?? p.free_form;
      // a lookup (first_found through query) may give a list: each file in order, a later one wins
      const names = (Array.isArray(src) ? src : [src]).map((s) => String(s ?? '').replace(/\n+$/, ''));
      if (!names.length || names.some((n) => !n)) return fail('no file given (file:, dir: or the free form)');
      for (const n of names) {
        let path: string;
        try {
          path = ctx.findFile('vars', n);
        } catch (e) {
          return fail(`Could not find or access '${n}' on the Ansible Controller.\n${e instanceof InputError && e.hint ? e.hint : ''}`.trim(), included);
        }
        const e = add(path);
        if (e) return fail(e, included);
      }
    }
  } catch (e) {
    if (e instanceof InputError || e instanceof InputErrors) return fail(errText(e), included);
    throw e;
  }
  let vars: Vars = results;
  if (p.name !== undefined) vars = assignVars(Object.create(null) as Vars, { [p.name]: results });
  if (p.hash_behaviour === 'merge') {
    const merged: Vars = Object.create(null);
    for (const k of Object.keys(vars)) {
      const old = ctx.vars[k];
      // as Ansible's combine_vars: both the current value and the loaded one must be mappings
      if (!isMap(old) || !isMap(vars[k])) return fail(`failed to combine variables, expected dicts but got a '${pyType(old)}' and a '${pyType(vars[k])}': \n${JSON.stringify(old ?? null)}\n${JSON.stringify(vars[k] ?? null)}`, included);
      assignVars(merged, { [k]: mergeHash(old, vars[k]) });
    }
    vars = merged;
  }
  // the registered copy is host-result data (the engine marks it unsafe): never the objects set as variables
  const copy = structuredClone({ ...vars });
  // no msg: Ansible's result has none (the registered value is compared with Ansible's)
  return {
    changed: false,
    setVars: vars,
    data: { ansible_facts: copy, ansible_included_var_files: included },
  };
}

const schema = object(
  {
    free_form: typed<string | string[]>({ type: ['string', 'array'], items: { type: 'string' }, description: 'The file (include_vars: vars/x.yml); a list (from a lookup) loads each file in order.' }),
    file: typed<string | string[]>({ type: ['string', 'array'], items: { type: 'string' }, description: "The file: searched in the role's vars/, the task file's directory and vars/, the playbook directory and vars/." }),
    dir: str("A directory of vars files (a role's vars/DIR, else relative to the task's file); every file with one of `extensions` is loaded, in sorted order (subdirectories too, up to `depth`)."),
    name: str('Put the loaded variables under this one variable instead of at the top level.'),
    depth: int('dir: how many of the walked directories to read, in sorted path order (0: all).', { minimum: 0, default: 0 }),
    files_matching: str('dir: only files whose name matches this Python regular expression (searched).'),
    ignore_files: typed<string | string[]>({ type: ['array', 'string'], items: { type: 'string' }, description: 'dir: file names to skip: Python regular expressions matched at the end of the name.' }),
    extensions: strList("dir: the file extensions loaded (default yaml, yml, json); '' for files without one.", { default: ['yaml', 'yml', 'json'] }),
    ignore_unknown_extensions: bool('dir: skip files with other extensions instead of failing.', false),
    hash_behaviour: strEnum(['replace', 'merge'], 'merge: mappings are merged into the current value of each variable (recursively) instead of replacing it.'),
  },
  {
    allOf: [
      { not: { anyOf: [{ required: ['file', 'dir'] }, { required: ['free_form', 'dir'] }] } },
      { if: { not: { required: ['dir'] } }, then: { properties: { depth: false, files_matching: false, ignore_files: false, extensions: false, ignore_unknown_extensions: false } } },
      { anyOf: [{ required: ['file'] }, { required: ['dir'] }, { required: ['free_form'] }] },
    ],
  },
);

export const include_vars: Module<IncludeVarsParams> = {
  name: 'include_vars',
  readOnly: true,
  freeForm: 'free_form',
  doc: 'Load variables from YAML/JSON files on the controller (a file, or every vars file of a directory tree) into the host\'s variables.',
  schema,
  action: (p, ctx) => includeVars(p, ctx),
};
