/**
 * Controller-side lookups (ansible-core 2.14): file, template, first_found, fileglob, unvault,
 * password (files found or written on the controller), pipe and lines (commands run on the
 * controller, in the playbook directory). Relative names are searched as Ansible's
 * find_file_in_search_path does: each directory of `ansible_search_path` (the role, the task
 * file's directory), then the playbook directory (`playbook_dir`, the loader's basedir), each
 * with its `files/` (or `templates/`) folder first.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, normalize, resolve } from 'node:path';
import { TplError, Undef, need, type Kw } from './core.js';
import { lookupVar, newCtx } from './lazy.js';
import { isMapping, pyErr, pyStr, pyTruth } from './py.js';
import { PyDateTime, tmOf } from './pydate.js';
import { glob } from './filters-path.js';
import { parseKv } from './lookups-loops.js';
import { passwordHash } from './crypt.js';
import { rngFor } from './pyrandom.js';
import { renderFileIn } from './file.js';
import { renderIn, typed } from './render.js';
import { ANSIBLE_OPTIONS, type TemplateOptions } from './options.js';
import { mergeVars } from './unsafe.js';
import { decryptVaultBytes } from '../vault/loader.js';
import { InputError } from '../util/errors.js';
import type { FEnv } from './types.js';

type LookupFn = (e: FEnv, terms: unknown[], kw: Kw) => unknown[];

/** The internal option a `with_first_found` loop sets: the folder searched first (files, templates, vars). */
export const SUBDIR_OPTION = '__kvplay_subdir';

const strVar = (e: FEnv, name: string): string | undefined => {
  const v = lookupVar(e.ctx, name);
  return typeof v === 'string' && v ? v : undefined;
};
/** The loader's basedir: the playbook directory. */
const basedir = (e: FEnv) => strVar(e, 'playbook_dir') ?? process.cwd();
const expandHome = (p: string) => p.replace(/^~(?=\/|$)/, process.env.HOME ?? '~');

/** DataLoader._is_role, roughly: a directory holding tasks/main.yml or meta/main.yml (or its tasks/ folder). */
function isRole(p: string): boolean {
  const mains = ['main.yml', 'main.yaml', 'main'];
  if (/(^|\/)tasks\/?$/.test(p) && mains.some((m) => existsSync(join(p, m)))) return true;
  return [p, dirname(p)].some((d) => ['tasks', 'meta'].some((sub) => mains.some((m) => existsSync(join(d, sub, m)))));
}

/** LookupBase.find_file_in_search_path + DataLoader.path_dwim_relative_stack: the file, or null. */
export function findInSearchPath(e: FEnv, subdir: string, needle: string): string | null {
  if (needle.startsWith('/') || needle.startsWith('~')) {
    const p = normalize(expandHome(needle));
    return existsSync(p) ? p : null;
  }
  const sp = lookupVar(e.ctx, 'ansible_search_path');
  const paths = Array.isArray(sp) ? Array.from(sp, pyStr) : [strVar(e, 'role_path') ?? basedir(e)];
  const useSub = needle.split('/')[0] !== subdir;
  const search: string[] = [];
  for (const path of paths) {
    const up = resolve(expandHome(path));
    const parent = dirname(up);
    if (isRole(path) && parent.endsWith('/tasks')) search.push(join(dirname(parent), subdir, needle), join(parent, needle));
    else {
      if (useSub) search.push(join(up, subdir, needle));
      search.push(join(up, needle));
    }
  }
  if (useSub) search.push(join(basedir(e), subdir, needle));
  search.push(join(basedir(e), needle));
  return search.find((c) => existsSync(c)) ?? null;
}

/** A controller file's bytes, vault-decrypted as Ansible's loader does (a failure is a template error). */
function readPlain(file: string, what: string): Buffer {
  try {
    return decryptVaultBytes(readFileSync(file), file);
  } catch (err) {
    if (err instanceof InputError) throw pyErr(`lookup('${what}'): ${file}: ${err.message}`, err.hint);
    throw pyErr(`lookup('${what}'): could not read ${file}: ${(err as Error).message}`);
  }
}

/** Python's str.strip() whitespace. */
const PYSPACE = '\\s\\x1c-\\x1f\\x85';
const rstrip = (s: string) => s.replace(new RegExp(`[${PYSPACE}]+$`), '');
const lstrip = (s: string) => s.replace(new RegExp(`^[${PYSPACE}]+`), '');

/** Run a command with /bin/sh in the playbook directory: its stdout, or the lookup's error. */
function run(e: FEnv, cmd: string, what: string): string {
  const r = spawnSync('/bin/sh', ['-c', cmd], { cwd: basedir(e), input: '', stdio: ['pipe', 'pipe', 'inherit'], maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw pyErr(`lookup_plugin.${what}(${cmd}): ${r.error.message}`);
  if (r.status !== 0) throw pyErr(`lookup_plugin.${what}(${cmd}) returned ${r.status ?? 'a signal'}`, 'the command ran on the controller, in the playbook directory');
  return r.stdout.toString('utf8');
}

function ownerName(uid: number): string {
  try {
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.split(':')[2] === String(uid));
    if (line) return line.split(':')[0];
  } catch {
    /* no passwd file: the number */
  }
  return String(uid);
}

/** generate_ansible_template_vars */
function templateVars(term: string, file: string): Record<string, unknown> {
  const st = statSync(file);
  return {
    template_host: hostname(),
    template_path: term,
    template_mtime: PyDateTime.of(tmOf(st.mtimeMs / 1000, false)),
    template_uid: ownerName(st.uid),
    template_run_date: PyDateTime.of(tmOf(Date.now() / 1000, false)),
    template_destpath: null,
    template_fullpath: resolve(file),
    ansible_managed: 'Ansible managed',
  };
}

function template(e: FEnv, term: string, kw: Kw): unknown {
  const file = findInSearchPath(e, 'templates', term);
  if (!file) throw pyErr(`the template file ${term} could not be found for the lookup`);
  const text = readPlain(file, 'template').toString('utf8');
  const extra = kw.template_vars === undefined ? {} : need(kw.template_vars);
  if (!isMapping(extra)) throw pyErr("lookup('template'): template_vars must be a dict");
  const ctx = newCtx(mergeVars(e.ctx.vars, templateVars(term, file), extra), e.ctx.loc, renderIn);
  ctx.secret = e.ctx.secret;
  const tags: Record<string, string> = {};
  for (const [k, t] of [['variable_start_string', 'variableStart'], ['variable_end_string', 'variableEnd'], ['comment_start_string', 'commentStart'], ['comment_end_string', 'commentEnd']]) if (kw[k] !== undefined) tags[t] = pyStr(kw[k]);
  const opts: TemplateOptions = Object.keys(tags).length ? { ...ANSIBLE_OPTIONS, tags } : ANSIBLE_OPTIONS;
  const out = renderFileIn(ctx, text, { file, line: 1, col: 1 }, opts);
  if (ctx.tainted) e.ctx.tainted = true;
  return kw.convert_data === undefined || pyTruth(kw.convert_data) ? typed(out) : out;
}

/** first_found's _split_on */
const splitOn = (v: unknown, chars: string): string[] => (Array.isArray(v) ? Array.from(v).flatMap((x) => splitOn(x, chars)) : v === null || v === undefined ? [] : pyStr(v).split(new RegExp(`[${chars.replace(/[\]\\^-]/g, '\\$&')}]`)));

function firstFoundSearch(terms: unknown[], kw: Kw): { search: unknown[]; skip: boolean } {
  let search: unknown[] = [];
  let skip = false;
  for (const term of terms) {
    let opts: Record<string, unknown>;
    if (isMapping(term)) opts = term;
    else if (typeof term === 'string') opts = kw;
    else if (Array.isArray(term)) {
      const p = firstFoundSearch(Array.from(term), kw);
      search.push(...p.search);
      skip = p.skip;
      continue;
    } else throw pyErr(`Invalid term supplied, can handle string, mapping or list of strings but got: ${pyStr(term)}`);
    const bad = Object.keys(opts).find((k) => !['files', 'paths', 'skip', SUBDIR_OPTION].includes(k));
    if (bad) throw pyErr(`first_found: unknown option '${bad}'`, 'the options are files, paths and skip');
    const files = splitOn(opts.files, ',;');
    const paths = splitOn(opts.paths, ',:;');
    skip = pyTruth(opts.skip ?? false);
    if (paths.length) for (const p of paths) for (const f of files) search.push(join(p, f));
    else if (files.length) search = files;
    else search.push(term);
  }
  return { search, skip };
}

function firstFound(e: FEnv, terms: unknown[], kw: Kw): string[] {
  const { search, skip } = firstFoundSearch(terms, kw);
  const subdir = typeof kw[SUBDIR_OPTION] === 'string' ? (kw[SUBDIR_OPTION] as string) : 'files';
  for (const fn of search) {
    let name: unknown = fn;
    if (typeof fn === 'string' && /\{\{|\{%/.test(fn)) {
      name = e.ctx.render(e.ctx, fn, e.ctx.loc);
      if (name instanceof Undef) continue; // an undefined name is skipped, as in Ansible
    }
    const p = findInSearchPath(e, subdir, pyStr(name));
    if (p) return [p];
  }
  if (skip) return [];
  throw pyErr('No file was found when using first_found.', 'give skip=true to get an empty result instead');
}

function fileglob(e: FEnv, term: string): string[] {
  const file = term.slice(term.lastIndexOf('/') + 1);
  let dirs: (string | null)[];
  if (file !== term) dirs = [findInSearchPath(e, 'files', dirname(term))];
  else {
    const sp = lookupVar(e.ctx, 'ansible_search_path');
    const paths = Array.isArray(sp) ? Array.from(sp, pyStr) : [strVar(e, 'role_path') ?? basedir(e)];
    dirs = paths.flatMap((p) => [join(p, 'files'), p]);
  }
  for (const d of dirs) {
    if (!d) continue;
    const found = glob(join(d, file)).filter((f) => {
      try {
        return statSync(f).isFile();
      } catch {
        return false;
      }
    });
    if (found.length) return found;
  }
  return [];
}

const CHARSETS: Record<string, string> = {
  ascii_letters: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', ascii_lowercase: 'abcdefghijklmnopqrstuvwxyz', ascii_uppercase: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  digits: '0123456789', hexdigits: '0123456789abcdefABCDEF', octdigits: '01234567', punctuation: '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~', whitespace: ' \t\n\r\x0b\x0c',
};
CHARSETS.printable = CHARSETS.digits + CHARSETS.ascii_letters + CHARSETS.punctuation + CHARSETS.whitespace;
const SALT_SIZES: Record<string, number> = { md5_crypt: 8, bcrypt: 22, sha256_crypt: 16, sha512_crypt: 16 };
const SALT_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789./';

function password(e: FEnv, term: string, kw: Kw): string {
  const sp = term.indexOf(' ');
  let rel = sp < 0 ? term : term.slice(0, sp);
  const params: Record<string, unknown> = sp < 0 ? {} : parseKv(term.slice(sp + 1));
  if (params._raw_params !== undefined) {
    rel = `${rel} ${params._raw_params}`;
    delete params._raw_params;
    if (!term.startsWith(rel)) throw pyErr('Unrecognized value after key=value parameters given to password lookup');
  }
  const bad = Object.keys(params).filter((k) => !['length', 'encrypt', 'chars', 'ident', 'seed'].includes(k));
  if (bad.length) throw pyErr(`Unrecognized parameter(s) given to password lookup: ${bad.join(', ')}`);
  const opt = (k: string, d: unknown) => (params[k] !== undefined ? params[k] : kw[k] !== undefined ? kw[k] : d);
  const length = Number(opt('length', 20));
  if (!Number.isInteger(length)) throw pyErr(`invalid literal for int() with base 10: '${pyStr(opt('length', 20))}'`);
  let chars = opt('chars', ['ascii_letters', 'digits', '.,:-_']);
  if (typeof chars === 'string') chars = [...(chars.includes(',,') ? [','] : []), ...chars.replace(/,,/g, ',').split(',').filter(Boolean)];
  const pool = Array.from(chars as unknown[], (c) => CHARSETS[pyStr(c)] ?? pyStr(c)).join('').replace(/["']/g, '');
  const path = normalize(rel.startsWith('/') || rel.startsWith('~') ? expandHome(rel) : join(basedir(e), rel));
  const encrypt = opt('encrypt', null) as string | null;
  let plain: string;
  let salt: string | null = null;
  let changed = false;
  const content = path !== '/dev/null' && existsSync(path) ? rstrip(readFileSync(path, 'utf8')) : null;
  if (content === null) {
    const rng = rngFor(opt('seed', null));
    plain = Array.from({ length }, () => pool[rng.randbelow(pool.length)]).join('');
    changed = true;
  } else {
    const i = content.lastIndexOf(' salt=');
    plain = i < 0 ? content : content.slice(0, i);
    salt = i < 0 ? null : content.slice(i + 6).replace(/ ident=.*$/, '');
  }
  if (encrypt && !salt) {
    salt = Array.from({ length: SALT_SIZES[encrypt] ?? 8 }, () => SALT_CHARS[rngFor(null).randbelow(SALT_CHARS.length)]).join('');
    changed = true;
  }
  if (changed && path !== '/dev/null') {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, (encrypt || salt ? `${plain} salt=${salt}` : plain) + '\n', { mode: 0o600 });
    chmodSync(path, 0o600);
  }
  return encrypt ? passwordHash(plain, [encrypt, salt], {}) : plain;
}

export const FILE_LOOKUPS: Record<string, LookupFn> = {
  file: (e, terms, kw) =>
    terms.map((t) => {
      const name = pyStr(t);
      const file = findInSearchPath(e, 'files', name);
      if (!file) throw new TplError(`The 'file' lookup had an issue accessing the file '${name}'`, 'relative names are looked for in the role, the task file directory and the playbook directory, and in their files/ folders', -1);
      let text = readPlain(file, 'file').toString('utf8');
      if (pyTruth(kw.lstrip ?? false)) text = lstrip(text);
      if (pyTruth(kw.rstrip ?? true)) text = rstrip(text);
      return text;
    }),
  template: (e, terms, kw) => terms.map((t) => template(e, pyStr(t), kw)),
  unvault: (e, terms) =>
    terms.map((t) => {
      const file = findInSearchPath(e, 'files', pyStr(t));
      if (!file) throw pyErr(`Unable to find file matching "${pyStr(t)}" `);
      return readPlain(file, 'unvault').toString('utf8');
    }),
  first_found: (e, terms, kw) => firstFound(e, terms, kw),
  fileglob: (e, terms) => terms.flatMap((t) => fileglob(e, pyStr(t))),
  pipe: (e, terms) => terms.map((t) => rstrip(run(e, pyStr(t), 'pipe'))),
  lines: (e, terms) => terms.flatMap((t) => run(e, pyStr(t), 'lines').split(/\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/).filter((l, i, all) => i < all.length - 1 || l !== '')),
  password: (e, terms, kw) => terms.map((t) => password(e, pyStr(t), kw)),
};
