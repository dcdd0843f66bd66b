/**
 * YAML loading with source positions (the only importer of `yaml`).
 * Every mapping and sequence produced carries a hidden (non-enumerable) LOC record:
 * its own position, the position of each key and each value/item. Use locOf / keyLocOf / itemLocOf.
 */
import { readFileSync } from 'node:fs';
import { parseDocument, isMap, isSeq, isScalar, isAlias, LineCounter, type Node } from 'yaml';
import { InputError, InputErrors, type Loc } from '../util/errors.js';

const LOC = Symbol('kvplay.loc');

interface LocRecord {
  self: Loc;
  keys?: Record<string, Loc>;
  values?: Record<string, Loc>;
  items?: Loc[];
}

function attach(obj: object, rec: LocRecord): void {
  Object.defineProperty(obj, LOC, { value: rec, enumerable: false, configurable: true });
}

function rec(v: unknown): LocRecord | undefined {
  return v && typeof v === 'object' ? ((v as any)[LOC] as LocRecord | undefined) : undefined;
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
/** Copy the location record of `from` onto `to` (for derived objects). */
export function copyLoc<T extends object>(from: unknown, to: T): T {
  const r = rec(from);
  if (r) attach(to, r);
  return to;
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

/** Parse YAML text. Throws InputErrors (all syntax errors at once) with file:line:col. */
export function parseYaml(text: string, file: string): unknown {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, merge: true });
  const pos = (offset: number | undefined): Loc => {
    const p = lc.linePos(offset ?? 0);
    return { file, line: p.line, col: p.col };
  };
  if (doc.errors.length) {
    throw new InputErrors(
      doc.errors.map(
        (e) =>
          new InputError(
            `YAML syntax: ${e.message.split('\n')[0]}`,
            pos(e.pos?.[0]),
            e.code === 'DUPLICATE_KEY'
              ? 'each key may appear once per mapping'
              : 'check indentation, quoting (values starting with {{ must be quoted) and colons',
          ),
      ),
    );
  }
  const anchors = new Map<Node, unknown>();
  const conv = (node: unknown): unknown => {
    if (node == null) return null;
    if (isAlias(node)) {
      const target = node.resolve(doc);
      return target ? conv(target) : null;
    }
    if (isScalar(node)) return node.value;
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      const r: LocRecord = { self: pos(node.range?.[0]), keys: {}, values: {} };
      for (const pair of node.items) {
        const kNode = pair.key as any;
        if (kNode && kNode.type === undefined && kNode.source === '<<') continue;
        const key = isScalar(kNode) ? String(kNode.value) : String(conv(kNode));
        if (key === '<<') {
          const merged = conv(pair.value);
          for (const m of Array.isArray(merged) ? merged : [merged]) {
            if (m && typeof m === 'object') for (const [mk, mv] of Object.entries(m)) if (!(mk in out)) out[mk] = mv;
          }
          continue;
        }
        out[key] = conv(pair.value);
        r.keys![key] = pos(kNode?.range?.[0]);
        r.values![key] = pos((pair.value as any)?.range?.[0] ?? kNode?.range?.[0]);
      }
      attach(out, r);
      return out;
    }
    if (isSeq(node)) {
      const out = node.items.map((it) => conv(it));
      attach(out, { self: pos(node.range?.[0]), items: node.items.map((it: any) => pos(it?.range?.[0])) });
      return out;
    }
    return (node as any)?.toJSON?.() ?? null;
  };
  void anchors;
  return conv(doc.contents);
}

/** Read and parse a YAML file. A missing file is an InputError at `from` (the place that referenced it). */
export function loadYamlFile(file: string, from?: Loc): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e: any) {
    throw new InputError(`cannot read ${file}: ${e.code ?? e.message}`, from ?? { file, line: 1, col: 1 }, 'check the path (relative paths are resolved against the playbook or role directory)');
  }
  return parseYaml(text, file);
}
