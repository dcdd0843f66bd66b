/**
 * The `version` test's comparisons (ansible-core 2.14 version_compare): LooseVersion (the
 * default), StrictVersion (strict=true), SemanticVersion (semver/semantic) and PEP 440 (pep440).
 * A comparison Python cannot make (a number against a word in loose versions) is an error.
 */
import { pyErr } from './py.js';

type Key = unknown[];

/** distutils LooseVersion: numbers and lowercase words, dots dropped; other text kept as words. */
function loose(v: string): Key {
  return v
    .split(/(\d+|[a-z]+|\.)/)
    .filter((x) => x && x !== '.')
    .map((x) => (/^\d+$/.test(x) ? Number(x) : x));
}

/** distutils StrictVersion: N.N[.N][(a|b)N]; no pre-release sorts after any pre-release. */
function strict(v: string): Key {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?(?:([ab])(\d+))?$/.exec(v);
  if (!m) throw pyErr(`Version comparison failed: invalid version number '${v}'`);
  return [[Number(m[1]), Number(m[2]), Number(m[3] ?? 0)], m[4] ? [0, m[4], Number(m[5])] : [1]];
}

const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** Semantic versioning 2.0.0 precedence (build metadata ignored). */
function semver(v: string): Key {
  const m = SEMVER.exec(v);
  if (!m) throw pyErr(`Version comparison failed: invalid semantic version '${v}'`);
  const pre = m[4] ? m[4].split('.').map((x) => (/^\d+$/.test(x) ? [0, Number(x)] : [1, x])) : null;
  return [[Number(m[1]), Number(m[2]), Number(m[3])], pre === null ? [1] : [0, pre]];
}

const PEP440 =
  /^\s*v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d+)?)?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d+)?)?(?:[-_.]?(dev)[-_.]?(\d+)?)?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$/i;

/** packaging.version.Version's sort key. */
function pep440(v: string): Key {
  const m = PEP440.exec(v);
  if (!m) throw pyErr(`Version comparison failed: Invalid version: '${v}'`);
  const release = m[2].split('.').map(Number);
  while (release.length > 1 && release[release.length - 1] === 0) release.pop();
  const preName = m[3]?.toLowerCase();
  const preL = preName === undefined ? undefined : preName === 'alpha' ? 'a' : preName === 'beta' ? 'b' : ['c', 'pre', 'preview'].includes(preName) ? 'rc' : preName;
  const post = m[5] !== undefined ? Number(m[5]) : m[6] !== undefined ? Number(m[7] ?? 0) : undefined;
  const dev = m[8] !== undefined ? Number(m[9] ?? 0) : undefined;
  const pre = preL === undefined ? (post === undefined && dev !== undefined ? [-1] : [2]) : [1, preL, Number(m[4] ?? 0)];
  const local = m[10] ? [1, ...m[10].split(/[-_.]/).map((x) => (/^\d+$/.test(x) ? [1, Number(x)] : [0, x.toLowerCase()]))] : [0];
  return [Number(m[1] ?? 0), release, pre, post === undefined ? [0] : [1, post], dev === undefined ? [1] : [0, dev], local];
}

/** Python's comparison of the keys (lists compared item by item; int against str fails). */
function cmp(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = cmp(a[i], b[i]);
      if (c) return c;
    }
    return a.length - b.length;
  }
  if (typeof a === typeof b) return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  throw pyErr(`Version comparison failed: '<' not supported between instances of '${typeof a === 'number' ? 'int' : 'str'}' and '${typeof b === 'number' ? 'int' : 'str'}'`);
}

const OPS: Record<string, (c: number) => boolean> = {
  '==': (c) => c === 0, '=': (c) => c === 0, eq: (c) => c === 0, '<': (c) => c < 0, lt: (c) => c < 0, '<=': (c) => c <= 0, le: (c) => c <= 0,
  '>': (c) => c > 0, gt: (c) => c > 0, '>=': (c) => c >= 0, ge: (c) => c >= 0, '!=': (c) => c !== 0, '<>': (c) => c !== 0, ne: (c) => c !== 0,
};
const TYPES: Record<string, (v: string) => Key> = { loose, strict, semver, semantic: semver, pep440 };

export function versionCompare(value: string, version: string, operator: string, strictFlag: unknown, type: unknown): boolean {
  if (strictFlag !== null && strictFlag !== undefined && type !== null && type !== undefined) throw pyErr("Cannot specify both 'strict' and 'version_type'");
  if (!value) throw pyErr('Input version value cannot be empty');
  if (!version) throw pyErr('Version parameter to compare against cannot be empty');
  let parse = loose;
  if (strictFlag) parse = strict;
  else if (type) {
    const t = String(type);
    if (!Object.prototype.hasOwnProperty.call(TYPES, t)) throw pyErr(`Invalid version type (${t}). Must be one of 'loose', 'strict', 'semver', 'semantic', 'pep440'`);
    parse = TYPES[t];
  }
  const op = Object.prototype.hasOwnProperty.call(OPS, operator) ? OPS[operator] : undefined;
  if (!op) throw pyErr(`Invalid operator type (${operator}). Must be one of '==', '=', 'eq', '<', 'lt', '<=', 'le', '>', 'gt', '>=', 'ge', '!=', '<>', 'ne'`);
  const [a, b] = [parse(value), parse(version)];
  // LooseVersion checks equality first: equal versions compare even where < would fail
  return op(JSON.stringify(a) === JSON.stringify(b) ? 0 : cmp(a, b));
}
