/**
 * Ansible's path tests (on the controller, as in Ansible: exists, file, directory, link,
 * link_exists, abs, same_file, mount and their is_* names), URI tests (uri, url, urn) and
 * vault_encrypted (always false here: kvplay decrypts `!vault` values when it loads them).
 */
import { lstatSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pyErr, pyStr } from './py.js';
import { arg, type TestFn } from './types.js';

const stat = (p: string, follow = true) => {
  try {
    return follow ? statSync(p) : lstatSync(p);
  } catch {
    return undefined;
  }
};
const path = (v: unknown) => pyStr(v);

/** os.path.ismount */
function isMount(p: string): boolean {
  const s = stat(p, false);
  if (!s || s.isSymbolicLink()) return false;
  const parent = stat(resolve(p, '..'), false);
  if (!parent) return false;
  return s.dev !== parent.dev || s.ino === parent.ino;
}

/** urllib.parse.urlparse's scheme and netloc (what is_uri / is_url look at). */
function urlParts(v: string): { scheme: string; netloc: string } {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(v);
  const scheme = m ? m[1].toLowerCase() : '';
  const rest = m ? v.slice(m[0].length) : v;
  const netloc = rest.startsWith('//') ? rest.slice(2).split(/[/?#]/)[0] : '';
  return { scheme, netloc };
}
const schemesOk = (scheme: string, schemes: unknown) => !schemes || (Array.isArray(schemes) && schemes.map(pyStr).includes(scheme));

export const FILE_TESTS: Record<string, TestFn> = {
  exists: (_e, v) => !!stat(path(v)),
  link_exists: (_e, v) => !!stat(path(v), false),
  file: (_e, v) => !!stat(path(v))?.isFile(),
  directory: (_e, v) => !!stat(path(v))?.isDirectory(),
  link: (_e, v) => !!stat(path(v), false)?.isSymbolicLink(),
  abs: (_e, v) => isAbsolute(path(v)),
  mount: (_e, v) => isMount(path(v)),
  same_file: (_e, v, a) => {
    const [x, y] = [stat(path(v)), stat(path(a[0]))];
    if (!x || !y) throw pyErr(`No such file or directory: '${!x ? path(v) : path(a[0])}'`);
    return x.dev === y.dev && x.ino === y.ino;
  },
  uri: (_e, v, a, kw) => schemesOk(urlParts(pyStr(v)).scheme, arg(a, kw, 0, 'schemes', null)),
  url: (_e, v, a, kw) => {
    const p = urlParts(pyStr(v));
    return schemesOk(p.scheme, arg(a, kw, 0, 'schemes', null)) && (!!p.netloc || p.scheme === 'file');
  },
  urn: (_e, v) => urlParts(pyStr(v)).scheme === 'urn',
  vault_encrypted: () => false,
};
for (const k of ['file', 'directory', 'link', 'abs', 'same_file', 'mount']) FILE_TESTS[`is_${k === 'directory' ? 'dir' : k}`] = FILE_TESTS[k];
