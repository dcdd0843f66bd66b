/**
 * group_vars/ and host_vars/ directories, read the way Ansible's host_group_vars plugin does:
 * for entity NAME the first existing of `NAME` (a YAML file without extension, or a directory
 * whose files are read recursively in lexical order), `NAME.yml`, `NAME.yaml`, `NAME.json`.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, extname } from 'node:path';
import { parseYaml, readYamlText, keyLocOf, locOf } from '../yaml/load.js';
import { collectInputErrors, errCode, InputError, type Loc } from '../util/errors.js';
import { closest as suggest } from '../util/suggest.js';
import { dict } from '../util/dict.js';
import { isUnsafeKey, setVar } from '../template/unsafe.js';

export type VarKind = 'group_vars' | 'host_vars';

/** Variables of one source, with the position of each key. */
export interface VarLayer {
  vars: Record<string, unknown>;
  origin: Record<string, Loc | undefined>;
}

const VAR_EXTS = ['.yml', '.yaml', '.json'];

/** An empty layer (null-prototype tables: variable names are user keys). */
export function emptyLayer(): VarLayer {
  return { vars: dict(), origin: dict() };
}

function kindOf(path: string): 'dir' | 'file' | undefined {
  try {
    const st = statSync(path);
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}

function visible(entry: string): boolean {
  return !entry.startsWith('.') && !entry.endsWith('~');
}

function dirFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    if (!visible(e)) continue;
    const p = join(dir, e);
    const k = kindOf(p);
    const ext = extname(e);
    if (k === 'dir' && !ext) out.push(...dirFiles(p));
    else if (k === 'file' && (!ext || VAR_EXTS.includes(ext))) out.push(p);
  }
  return out;
}

/** The files Ansible reads for `name` under `base/kind/`, in merge order. */
export function findVarsFiles(base: string, kind: VarKind, name: string, warnings: InputError[]): string[] {
  if (!name || name.includes('/') || name.includes('\0')) return [];
  const stem = join(base, kind, name);
  const found = ['', ...VAR_EXTS].map((ext) => stem + ext).filter((p) => kindOf(p));
  if (!found.length) return [];
  if (found.length > 1) {
    warnings.push(
      new InputError(
        `both ${found.join(' and ')} exist; only ${found[0]} is read`,
        { file: found[1], line: 1, col: 1 },
        `Ansible reads only the first of ${kind}/${name}, ${kind}/${name}.yml, .yaml, .json: merge them into one`,
      ),
    );
  }
  return kindOf(found[0]) === 'dir' ? dirFiles(found[0]) : [found[0]];
}


/** Read and merge `files` (later files win). Problems go to `errors`; undefined when there are no files. */
export function loadVarLayer(files: string[], kind: VarKind, errors: InputError[]): VarLayer | undefined {
  if (!files.length) return undefined;
  const layer = emptyLayer();
  for (const file of files) {
    const at: Loc = { file, line: 1, col: 1 };
    let data: unknown;
    try {
      const text = readYamlText(file);
      data = parseYaml(text, file); // vault-encrypted files are decrypted by the loader
    } catch (e) {
      const code = errCode(e);
      if (code) errors.push(new InputError(`cannot read ${file}: ${code}`, at, 'check the file permissions'));
      else collectInputErrors(e, errors);
      continue;
    }
    if (data == null) continue;
    if (typeof data !== 'object' || Array.isArray(data)) {
      errors.push(
        new InputError(`a ${kind} file must be a mapping of variable names to values, got ${Array.isArray(data) ? 'a list' : typeof data}`, locOf(data) ?? at, 'write `name: value` lines at the top level of the file'),
      );
      continue;
    }
    for (const [k, v] of Object.entries(data)) {
      setVar(layer.vars, k, v, isUnsafeKey(data, k)); // keeps `!unsafe`
      layer.origin[k] = keyLocOf(data, k);
    }
  }
  return layer;
}

/** Warn about `base/kind/` entries that match no group/host but look like a typo of one. */
export function warnUnmatched(base: string, kind: VarKind, known: Set<string>, warnings: InputError[]): void {
  const dir = join(base, kind);
  if (kindOf(dir) !== 'dir') return;
  for (const e of readdirSync(dir).sort()) {
    if (!visible(e)) continue;
    const name = VAR_EXTS.includes(extname(e)) ? e.slice(0, -extname(e).length) : e;
    if (known.has(name)) continue;
    const near = suggest(name, known);
    if (!near) continue;
    const what = kind === 'group_vars' ? 'group' : 'host';
    warnings.push(new InputError(`${join(dir, e)} matches no ${what} of the inventory`, { file: join(dir, e), line: 1, col: 1 }, `did you mean ${what} \`${near}\`?`));
  }
}
