/**
 * YAML loading with source positions (the only importer of `yaml`).
 * Every mapping and sequence produced carries a hidden (non-enumerable) LOC record:
 * its own position, the position of each key and each value/item. Use locOf / keyLocOf / itemLocOf.
 */
import { readFileSync, statSync } from 'node:fs';
import { parseDocument, isMap, isSeq, isScalar, isAlias, LineCounter, type Alias, type Node, type YAMLError } from 'yaml';
import { errCode, errMessage, InputError, InputErrors, type Loc } from '../util/errors.js';
import { VAULT_HEADER } from '../vault/decrypt.js';
import { VAULT_TAGS, VaultValue, decryptVaultText, openVaultValue, revealLeaves, vaultTagOffset } from '../vault/loader.js';

const LOC = Symbol('kvplay.loc');

/**
 * The largest YAML file (or -e text) kvplay reads. The yaml library needs ~80 bytes of memory and
 * ~1.5 µs per byte of input (a 15 MB playbook: 2 GB, 25 s), so bigger input is refused up front.
 */
const MAX_YAML_BYTES = 8 * 1024 * 1024;
/** The deepest nesting of mappings and sequences. */
const MAX_DEPTH = 500;
/** How many values aliases may expand to in one document (the yaml library's maxAliasCount idea). */
const MAX_ALIAS_NODES = 100_000;

/** `<<` as a YAML 1.1 merge key (parsed with merge: true, its value is a symbol); a quoted "<<" is a plain key. */
/** The parser itself recurses: a document nested thousands deep overflows the stack. */
function parseOrDepthError<T>(file: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof RangeError) throw new InputErrors([new InputError('YAML nested too deeply to read', { file, line: 1, col: 1 }, `flatten the data (kvplay reads at most ${MAX_DEPTH} levels of nesting)`)]);
    throw e;
  }
}

function isMergeKey(k: unknown): boolean {
  return isScalar(k) && typeof k.value === 'symbol';
}

interface LocRecord {
  self: Loc;
  keys?: Record<string, Loc>;
  values?: Record<string, Loc>;
  items?: Loc[];
  /** keys (item indices for sequences) whose values are tagged `!unsafe` */
  unsafe?: Set<string>;
  /** the mapping or sequence itself is tagged `!unsafe` */
  unsafeAll?: boolean;
}

function attach(obj: object, rec: LocRecord): void {
  Object.defineProperty(obj, LOC, { value: rec, enumerable: false, configurable: true });
}

function rec(v: unknown): LocRecord | undefined {
  return v && typeof v === 'object' ? (v as { [LOC]?: LocRecord })[LOC] : undefined;
}

/** Position of a mapping or sequence. */
export function locOf(v: unknown): Loc | undefined {
  return rec(v)?.self;
}
/** Position of key `k` in a mapping (falls back to the mapping). */
export function keyLocOf(obj: unknown, k: string): Loc | undefined {
  return rec(obj)?.keys?.[k] ?? locOf(obj);
}
/** Position of the value under key `k` (falls back to the key). */
export function valueLocOf(obj: unknown, k: string): Loc | undefined {
  return rec(obj)?.values?.[k] ?? keyLocOf(obj, k);
}
/** Position of item i of a sequence (falls back to the sequence). */
export function itemLocOf(arr: unknown, i: number): Loc | undefined {
  return rec(arr)?.items?.[i] ?? locOf(arr);
}
/**
 * YAML `!unsafe` (Ansible's AnsibleUnsafe): without `key`, whether the mapping or sequence itself
 * is tagged; with `key` (an item index for sequences), whether the value under it is.
 */
export function unsafeTagged(obj: unknown, key?: string | number): boolean {
  const r = rec(obj);
  if (!r) return false;
  return key === undefined ? !!r.unsafeAll : !!r.unsafeAll || !!r.unsafe?.has(String(key));
}
/** Copy the location record of `from` onto `to` (for derived objects). */
export function copyLoc<T extends object>(from: unknown, to: T): T {
  const r = rec(from);
  if (r) attach(to, r);
  return to;
}
/** A copy of mapping `obj` with key `from` replaced by `to` holding `value` (positions of `from` kept for `to`). */
export function renameKey(obj: Record<string, unknown>, from: string, to: string, value: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (k !== from) out[k] = v;
  out[to] = value;
  const r = rec(obj);
  const moved = (m: Record<string, Loc> | undefined) => (m && m[from] ? Object.assign(Object.create(null), m, { [to]: m[from] }) : m);
  if (r) attach(out, { ...r, keys: moved(r.keys), values: moved(r.values) });
  return out;
}
/** Give `to` a location (when it has none). */
export function setLoc<T extends object>(to: T, loc: Loc | undefined): T {
  if (loc && !rec(to)) attach(to, { self: loc });
  return to;
}

export interface Loaded {
  file: string;
  data: unknown;
}

/**
 * Ansible reads YAML 1.1 (PyYAML): the plain scalars yes/no/on/off (PyYAML's spellings, not y/n)
 * are booleans, so `when: yes` and `become: on` mean true as in Ansible. Quoted 'yes' stays a string.
 */
const YAML11_BOOL = {
  tag: 'tag:yaml.org,2002:bool',
  test: /^(?:yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF)$/,
  resolve: (s: string) => /^(?:yes|on)$/i.test(s),
  identify: (v: unknown) => typeof v === 'boolean',
  default: true,
};

/** `!unsafe` on a scalar (always a string, as in Ansible), a mapping or a sequence. */
const UNSAFE_TAGS = [
  { tag: '!unsafe', resolve: (s: string) => s },
  { tag: '!unsafe', collection: 'map' as const },
  { tag: '!unsafe', collection: 'seq' as const },
];

/** Parse YAML text. Throws InputErrors (all syntax errors at once) with file:line:col. */
export function parseYaml(text: string, file: string): unknown {
  if (text.length > MAX_YAML_BYTES) throw new InputErrors([tooBig(file)]);
  if (text.startsWith(VAULT_HEADER)) {
    // a vault-encrypted file: every value in it is a secret
    const data = parseYaml(decryptVaultText(text, file), file);
    revealLeaves(data);
    return data;
  }
  const lc = new LineCounter();
  const doc = parseOrDepthError(file, () => parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, merge: true, customTags: (core) => [YAML11_BOOL, ...core, ...UNSAFE_TAGS, ...VAULT_TAGS] }));
  const pos = (offset: number | undefined): Loc => {
    const p = lc.linePos(offset ?? 0);
    return { file, line: p.line, col: p.col };
  };
  if (doc.errors.length) throw new InputErrors([syntaxError(doc.errors[0], pos(doc.errors[0].pos?.[0]), text)]);
  // each alias is resolved once (Alias.resolve walks the whole document)
  const targets = new Map<Alias, Node | undefined>();
  const resolveAlias = (a: Alias): Node | undefined => {
    if (!targets.has(a)) targets.set(a, a.resolve(doc) as Node | undefined);
    return targets.get(a);
  };
  const isUnsafe = (node: unknown): boolean => (isAlias(node) ? isUnsafe(resolveAlias(node)) : (node as { tag?: string } | null)?.tag === '!unsafe');
  // nodes produced by expanding aliases: bounded (a "billion laughs" document expands exponentially)
  let expanded = 0;
  let inAlias: Alias | undefined;
  const conv = (node: unknown, depth = 0): unknown => {
    if (node == null) return null;
    if (depth > MAX_DEPTH) throw new InputError(`YAML nested more than ${MAX_DEPTH} levels deep`, pos((node as Node).range?.[0]), 'flatten the data: kvplay (like Ansible) refuses absurdly deep nesting');
    if (inAlias && ++expanded > MAX_ALIAS_NODES) {
      throw new InputError(`YAML aliases expand to more than ${MAX_ALIAS_NODES} values`, pos(inAlias.range?.[0]), 'this looks like an alias bomb ("billion laughs"); write the data out or use fewer nested aliases');
    }
    if (isAlias(node)) {
      const target = resolveAlias(node);
      if (!target) return null;
      const outer = inAlias;
      inAlias ??= node;
      try {
        return conv(target, depth);
      } finally {
        inAlias = outer;
      }
    }
    if (isScalar(node)) return node.value instanceof VaultValue ? openVaultValue(node.value, pos(vaultTagOffset(text, node.range?.[0] ?? 0))) : node.value;
    if (isMap(node)) {
      // null prototype: user keys such as __proto__ or constructor are plain keys
      const out: Record<string, unknown> = Object.create(null);
      const r: LocRecord = { self: pos(node.range?.[0]), keys: Object.create(null), values: Object.create(null) };
      for (const pair of node.items) {
        const kNode = pair.key as Node | null;
        if (isMergeKey(kNode)) {
          mergeInto(out, r, pair.value as Node | null, depth);
          continue;
        }
        if (kNode && !isScalar(kNode) && !isAlias(kNode)) {
          throw new InputError('a mapping key must be a plain value, not a mapping or a list', pos(kNode.range?.[0]), 'quote the key; a value starting with {{ must be quoted ("{{ x }}")');
        }
        const kv = conv(kNode, depth + 1);
        const key = kv !== null && typeof kv === 'object' ? JSON.stringify(kv) : String(kv);
        out[key] = conv(pair.value, depth + 1);
        r.keys![key] = pos(kNode?.range?.[0]);
        r.values![key] = pos((pair.value as Node | null)?.range?.[0] ?? kNode?.range?.[0]);
        if (isUnsafe(pair.value)) (r.unsafe ??= new Set()).add(key);
      }
      if (isUnsafe(node)) r.unsafeAll = true;
      attach(out, r);
      return out;
    }
    if (isSeq(node)) {
      const out = node.items.map((it) => conv(it, depth + 1));
      const r: LocRecord = { self: pos(node.range?.[0]), items: node.items.map((it) => pos((it as Node | null)?.range?.[0])) };
      node.items.forEach((it, i) => isUnsafe(it) && (r.unsafe ??= new Set()).add(String(i)));
      if (isUnsafe(node)) r.unsafeAll = true;
      attach(out, r);
      return out;
    }
    return (node as { toJSON?: () => unknown } | null)?.toJSON?.() ?? null;
  };
  /** `<<: *base` / `<<: [*a, *b]` (YAML 1.1 merge keys): keys of the mapping win, then earlier merged mappings. */
  const mergeInto = (out: Record<string, unknown>, r: LocRecord, vNode: Node | null, depth: number): void => {
    const merged = conv(vNode, depth + 1);
    const list = Array.isArray(merged) ? merged : [merged];
    list.forEach((m, i) => {
      if (!m || typeof m !== 'object' || Array.isArray(m)) {
        const at = pos((isSeq(vNode) ? (vNode.items[i] as Node | null) : vNode)?.range?.[0]);
        throw new InputError('a merge key (<<) takes a mapping or a list of mappings', at, 'write "<<: *anchor" where &anchor is on a mapping, or "<<: [*a, *b]"');
      }
      const from = rec(m);
      for (const [mk, mv] of Object.entries(m)) {
        if (mk in out) continue;
        out[mk] = mv;
        if (from?.keys?.[mk]) r.keys![mk] = from.keys[mk];
        if (from?.values?.[mk]) r.values![mk] = from.values[mk];
      }
    });
  };
  try {
    return conv(doc.contents);
  } catch (e) {
    if (e instanceof RangeError) throw new InputErrors([new InputError('YAML nested too deeply to read', { file, line: 1, col: 1 }, 'flatten the data')]);
    if (e instanceof InputError) throw new InputErrors([e]);
    throw e;
  }
}

/** The first YAML syntax error as an InputError, in words a playbook author can act on. */
function syntaxError(e: YAMLError, at: Loc, text: string): InputError {
  const msg = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  switch (e.code) {
    case 'MULTIPLE_DOCS':
      return new InputError(
        `a second YAML document starts at line ${at.line}: a playbook, inventory or vars file is one YAML document`,
        at,
        `remove the '---' separator at line ${at.line} (and what follows it), or split the documents into separate files`,
      );
    case 'DUPLICATE_KEY':
      return new InputError(`YAML syntax: ${msg}`, at, 'each key may appear once per mapping');
    case 'RESOURCE_EXHAUSTION':
      return new InputError('YAML nested too deeply to read', at, `flatten the data (kvplay reads at most ${MAX_DEPTH} levels of nesting)`);
    default: {
      const line = text.split('\n')[at.line - 1] ?? '';
      // `shell: echo a: b`: an unquoted ": " inside a plain value
      const colon = e.code === 'BLOCK_AS_IMPLICIT_KEY' && /^\s*(- )?[\w.-]+: +[^\s'"{[|>].*: /.test(line);
      return new InputError(
        `YAML syntax: ${msg}`,
        at,
        colon
          ? 'a value holding ": " must be quoted, e.g. shell: "echo a: b" (or use a block scalar: shell: |)'
          : 'check indentation, quoting (values starting with {{ must be quoted) and colons',
      );
    }
  }
}

function tooBig(file: string): InputError {
  return new InputError(`${file} is larger than ${MAX_YAML_BYTES / 1024 / 1024} MiB`, { file, line: 1, col: 1 }, `kvplay reads YAML files of at most ${MAX_YAML_BYTES / 1024 / 1024} MiB: split the data or keep big data in files the tasks copy`);
}

/**
 * Decode UTF-8 strictly: a byte that is not UTF-8 is an InputError at its line:col (rather than
 * a silent U+FFFD). A leading BOM is dropped.
 */
function decodeUtf8(buf: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    const decodes = (n: number, stream: boolean) => {
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, n), { stream });
        return true;
      } catch {
        return false;
      }
    };
    // the shortest prefix that fails (a cut inside a character is not a failure in stream mode)
    let lo = 1;
    let hi = buf.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (decodes(mid, true)) lo = mid + 1;
      else hi = mid;
    }
    // back to the first byte of the sequence that broke (the longest prefix that is whole characters)
    let bad = lo - 1;
    while (bad > 0 && bad > lo - 4 && !decodes(bad, false)) bad--;
    const lineStart = buf.lastIndexOf(0x0a, bad - 1) + 1;
    let line = 1;
    for (let i = 0; i < lineStart; i++) if (buf[i] === 0x0a) line++;
    const col = new TextDecoder('utf-8').decode(buf.subarray(lineStart, bad)).length + 1;
    throw new InputError(
      `not valid UTF-8: byte 0x${buf[bad].toString(16).padStart(2, '0')} cannot start or continue a character`,
      { file, line, col },
      'save the file as UTF-8, e.g. iconv -f latin1 -t utf-8 FILE',
    );
  }
}

/** Read a YAML file's text: at most MAX_YAML_BYTES, strict UTF-8. Errors from the file system are thrown as they are (with .code). */
export function readYamlText(file: string): string {
  if (statSync(file).size > MAX_YAML_BYTES) throw tooBig(file);
  return decodeUtf8(readFileSync(file), file);
}

/** Read and parse a YAML file. A missing file is an InputError at `from` (the place that referenced it). */
export function loadYamlFile(file: string, from?: Loc): unknown {
  let text: string;
  try {
    text = readYamlText(file);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`cannot read ${file}: ${errCode(e) ?? errMessage(e)}`, from ?? { file, line: 1, col: 1 }, 'check the path (relative paths are resolved against the playbook or role directory)');
  }
  return parseYaml(text, file);
}
