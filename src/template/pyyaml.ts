/**
 * YAML as Ansible's to_yaml / to_nice_yaml write it: PyYAML's yaml.dump with AnsibleDumper, which
 * is libyaml's C emitter (emitter.c) — keys sorted, flow style for collections of scalars when
 * default_flow_style is None, YAML 1.1 look-alikes ('yes', '1.5', '') quoted, long scalars folded
 * at width 80, allow_unicode. This is a port of the parts of emitter.c that plain data reaches.
 */
import { PyObject, Undef } from './core.js';
import { isMapping, pyErr, pyFloatRepr, pyType } from './py.js';

export interface YamlOpts {
  indent?: number;
  width?: number;
  /** null: flow style for collections of scalars; true: all flow; false: all block */
  flowStyle?: boolean | null;
  sortKeys?: boolean;
  explicitStart?: boolean;
  explicitEnd?: boolean;
}

/** YAML 1.1 implicit resolvers of PyYAML: what a plain scalar would be read as. */
const RESOLVERS: [string, RegExp][] = [
  ['bool', /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/],
  ['float', /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/],
  ['int', /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/],
  ['merge', /^(?:<<)$/],
  ['null', /^(?:~|null|Null|NULL|)$/],
  ['timestamp', /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/],
  ['value', /^(?:=)$/],
];
const plainIsStr = (s: string) => !RESOLVERS.some(([, re]) => re.test(s));

interface Scalar {
  text: string;
  plainImplicit: boolean;
}

function scalarOf(v: unknown): Scalar {
  if (typeof v === 'string') return { text: v, plainImplicit: plainIsStr(v) };
  if (v === null || v === undefined) return { text: 'null', plainImplicit: true };
  if (typeof v === 'boolean') return { text: v ? 'true' : 'false', plainImplicit: true };
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return { text: String(v), plainImplicit: true };
    const r = Number.isNaN(v) ? '.nan' : !Number.isFinite(v) ? (v > 0 ? '.inf' : '-.inf') : pyFloatRepr(v).toLowerCase();
    return { text: !r.includes('.') && r.includes('e') ? r.replace('e', '.0e') : r, plainImplicit: true };
  }
  if (v instanceof Undef) v.fail();
  if (v instanceof PyObject) return { text: v.str(), plainImplicit: true };
  throw pyErr(`to_yaml: cannot represent an object of type ${pyType(v)}`);
}

const isBreak = (c: string) => c === '\r' || c === '\n' || c === '\x85' || c === '\u2028' || c === '\u2029';
const isBlankZ = (c: string | undefined) => c === undefined || c === ' ' || c === '\t' || isBreak(c) || c === '\0';
/** libyaml's IS_PRINTABLE (on UTF-8): no NEL, no characters beyond the BMP. */
function isPrintable(c: string): boolean {
  const x = c.codePointAt(0)!;
  return x === 0x0a || (x >= 0x20 && x <= 0x7e) || (x >= 0xa0 && x <= 0xd7ff) || (x >= 0xe000 && x <= 0xfffd && x !== 0xfeff);
}

interface Analysis {
  multiline: boolean;
  flowPlain: boolean;
  blockPlain: boolean;
  singleQuoted: boolean;
  length: number;
}

/** emitter.c yaml_emitter_analyze_scalar */
function analyze(text: string): Analysis {
  const ch = Array.from(text);
  const length = Buffer.byteLength(text);
  if (!ch.length) return { multiline: false, flowPlain: false, blockPlain: true, singleQuoted: true, length };
  let [blockInd, flowInd, lineBreaks, special] = [false, false, false, false];
  let [leadSpace, leadBreak, trailSpace, trailBreak, breakSpace, spaceBreak] = [false, false, false, false, false, false];
  if (text.startsWith('---') || text.startsWith('...')) blockInd = flowInd = true;
  let preceded = true;
  let followed = isBlankZ(ch[1]);
  let [prevSpace, prevBreak] = [false, false];
  for (let i = 0; i < ch.length; i++) {
    const c = ch[i];
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(c)) flowInd = blockInd = true;
      if (c === '?' || c === ':') {
        flowInd = true;
        if (followed) blockInd = true;
      }
      if (c === '-' && followed) flowInd = blockInd = true;
    } else {
      if (',?[]{}'.includes(c)) flowInd = true;
      if (c === ':') {
        flowInd = true;
        if (followed) blockInd = true;
      }
      if (c === '#' && preceded) flowInd = blockInd = true;
    }
    if (!isPrintable(c)) special = true;
    if (isBreak(c)) lineBreaks = true;
    if (c === ' ') {
      if (i === 0) leadSpace = true;
      if (i === ch.length - 1) trailSpace = true;
      if (prevBreak) breakSpace = true;
      [prevSpace, prevBreak] = [true, false];
    } else if (isBreak(c)) {
      if (i === 0) leadBreak = true;
      if (i === ch.length - 1) trailBreak = true;
      if (prevSpace) spaceBreak = true;
      [prevSpace, prevBreak] = [false, true];
    } else [prevSpace, prevBreak] = [false, false];
    preceded = isBlankZ(c);
    followed = isBlankZ(ch[i + 2]);
  }
  const a: Analysis = { multiline: lineBreaks, flowPlain: true, blockPlain: true, singleQuoted: true, length };
  if (leadSpace || leadBreak || trailSpace || trailBreak) a.flowPlain = a.blockPlain = false;
  if (breakSpace) a.flowPlain = a.blockPlain = a.singleQuoted = false;
  if (spaceBreak || special) a.flowPlain = a.blockPlain = a.singleQuoted = false;
  if (lineBreaks) a.flowPlain = a.blockPlain = false;
  if (flowInd) a.flowPlain = false;
  if (blockInd) a.blockPlain = false;
  return a;
}

const ESCAPES: Record<number, string> = { 0: '0', 7: 'a', 8: 'b', 9: 't', 10: 'n', 11: 'v', 12: 'f', 13: 'r', 27: 'e', 34: '"', 92: '\\', 0x85: 'N', 0xa0: '_', 0x2028: 'L', 0x2029: 'P' };

class Emitter {
  out = '';
  column = 0;
  whitespace = true;
  indention = true;
  indent = -1;
  indents: number[] = [];
  flowLevel = 0;
  mappingContext = false;
  simpleKeyContext = false;
  /** anchors of collections met more than once (PyYAML's aliases), and those already written */
  anchors = new Map<object, string>();
  written = new Set<object>();
  constructor(readonly bestIndent: number, readonly bestWidth: number, readonly flowStyle: boolean | null, readonly sortKeys: boolean) {}

  put(s: string): void {
    this.out += s;
    this.column += Array.from(s).length;
  }
  putBreak(): void {
    this.out += '\n';
    this.column = 0;
  }
  writeIndent(): void {
    const indent = Math.max(this.indent, 0);
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.putBreak();
    if (this.column < indent) this.put(' '.repeat(indent - this.column));
    this.whitespace = this.indention = true;
  }
  indicator(s: string, needWs: boolean, isWs: boolean, isIndention: boolean): void {
    if (needWs && !this.whitespace) this.put(' ');
    this.put(s);
    this.whitespace = isWs;
    this.indention = this.indention && isIndention;
  }
  increaseIndent(flow: boolean, indentless: boolean): void {
    this.indents.push(this.indent);
    if (this.indent < 0) this.indent = flow ? this.bestIndent : 0;
    else if (!indentless) this.indent += this.bestIndent;
  }

  keys(o: Record<string, unknown>): string[] {
    const k = Object.keys(o);
    return this.sortKeys ? k.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) : k;
  }
  isScalar = (v: unknown) => !Array.isArray(v) && !isMapping(v);
  isFlow(v: unknown[] | Record<string, unknown>): boolean {
    if (this.flowLevel) return true;
    const items = Array.isArray(v) ? v : Object.keys(v).map((k) => v[k]);
    if (!items.length) return true;
    return this.flowStyle === null ? items.every(this.isScalar) : this.flowStyle;
  }
  simpleKey(k: string): boolean {
    const a = analyze(k);
    return !a.multiline && a.length <= 128;
  }

  /** PyYAML's serializer: a collection met a second time gets an anchor (id001...), in document order. */
  findAnchors(v: unknown, seen = new Set<object>(), depth = 0): void {
    if (!Array.isArray(v) && !isMapping(v)) return;
    if (depth > 200) throw pyErr('to_yaml: value is nested too deeply (circular reference?)');
    if (seen.has(v)) {
      if (!this.anchors.has(v)) this.anchors.set(v, `id${String(this.anchors.size + 1).padStart(3, '0')}`);
      return;
    }
    seen.add(v);
    for (const x of Array.isArray(v) ? v : this.keys(v).map((k) => v[k])) this.findAnchors(x, seen, depth + 1);
  }

  node(v: unknown, mapping: boolean, simpleKey: boolean): void {
    this.mappingContext = mapping;
    this.simpleKeyContext = simpleKey;
    const anchor = v && typeof v === 'object' ? this.anchors.get(v) : undefined;
    if (anchor) {
      const alias = this.written.has(v as object);
      this.indicator((alias ? '*' : '&') + anchor, true, false, false);
      if (alias) {
        if (simpleKey) this.put(' ');
        return;
      }
      this.written.add(v as object);
    }
    if (Array.isArray(v)) return this.isFlow(v) ? this.flowSeq(v) : this.blockSeq(v);
    if (isMapping(v)) return this.isFlow(v) ? this.flowMap(v) : this.blockMap(v);
    this.scalar(scalarOf(v));
  }

  blockSeq(items: unknown[]): void {
    this.increaseIndent(false, this.mappingContext && !this.indention);
    for (const item of items) {
      this.writeIndent();
      this.indicator('-', true, false, true);
      this.node(item, false, false);
    }
    this.indent = this.indents.pop()!;
  }
  blockMap(o: Record<string, unknown>): void {
    this.increaseIndent(false, false);
    for (const k of this.keys(o)) {
      this.writeIndent();
      if (this.simpleKey(k)) {
        this.node(k, true, true);
        this.indicator(':', false, false, false);
      } else {
        this.indicator('?', true, false, true);
        this.node(k, true, false);
        this.writeIndent();
        this.indicator(':', true, false, true);
      }
      this.node(o[k], true, false);
    }
    this.indent = this.indents.pop()!;
  }
  flowSeq(items: unknown[]): void {
    this.indicator('[', true, true, false);
    this.increaseIndent(true, false);
    this.flowLevel++;
    items.forEach((item, i) => {
      if (i) this.indicator(',', false, false, false);
      if (this.column > this.bestWidth) this.writeIndent();
      this.node(item, false, false);
    });
    this.flowLevel--;
    this.indent = this.indents.pop()!;
    this.indicator(']', false, false, false);
  }
  flowMap(o: Record<string, unknown>): void {
    this.indicator('{', true, true, false);
    this.increaseIndent(true, false);
    this.flowLevel++;
    this.keys(o).forEach((k, i) => {
      if (i) this.indicator(',', false, false, false);
      if (this.column > this.bestWidth) this.writeIndent();
      if (this.simpleKey(k)) {
        this.node(k, true, true);
        this.indicator(':', false, false, false);
      } else {
        this.indicator('?', true, false, false);
        this.node(k, true, false);
        if (this.column > this.bestWidth) this.writeIndent();
        this.indicator(':', true, false, false);
      }
      this.node(o[k], true, false);
    });
    this.flowLevel--;
    this.indent = this.indents.pop()!;
    this.indicator('}', false, false, false);
  }

  /** emitter.c yaml_emitter_select_scalar_style, then the writer of that style. */
  scalar(s: Scalar): void {
    const a = analyze(s.text);
    let style: 'plain' | 'single' | 'double' = 'plain';
    if (this.simpleKeyContext && a.multiline) style = 'double';
    if (style === 'plain') {
      if ((this.flowLevel && !a.flowPlain) || (!this.flowLevel && !a.blockPlain)) style = 'single';
      if (!a.length && (this.flowLevel || this.simpleKeyContext)) style = 'single';
      if (!s.plainImplicit) style = 'single';
    }
    if (style === 'single' && !a.singleQuoted) style = 'double';
    this.increaseIndent(true, false);
    const split = !this.simpleKeyContext;
    if (style === 'plain') this.plain(s.text, split);
    else if (style === 'single') this.single(s.text, split);
    else this.double(s.text, split);
    this.indent = this.indents.pop()!;
  }

  plain(text: string, breaks: boolean): void {
    const ch = Array.from(text);
    if (!this.whitespace && (ch.length || this.flowLevel)) this.put(' ');
    let spaces = false;
    for (let i = 0; i < ch.length; i++) {
      const c = ch[i];
      if (c === ' ') {
        if (breaks && !spaces && this.column > this.bestWidth && ch[i + 1] !== ' ') this.writeIndent();
        else this.put(c);
        spaces = true;
      } else {
        this.put(c);
        this.indention = false;
        spaces = false;
      }
    }
    this.whitespace = this.indention = false;
  }

  single(text: string, allowBreaks: boolean): void {
    this.indicator("'", true, false, false);
    const ch = Array.from(text);
    let [spaces, brk] = [false, false];
    for (let i = 0; i < ch.length; i++) {
      const c = ch[i];
      if (c === ' ') {
        if (allowBreaks && !spaces && this.column > this.bestWidth && i !== 0 && i !== ch.length - 1 && ch[i + 1] !== ' ') this.writeIndent();
        else this.put(c);
        spaces = true;
      } else if (isBreak(c)) {
        if (!brk && c === '\n') this.putBreak();
        if (c === '\n') this.putBreak();
        else {
          this.out += c;
          this.column = 0;
        }
        this.indention = true;
        brk = true;
      } else {
        if (brk) this.writeIndent();
        this.put(c === "'" ? "''" : c);
        this.indention = false;
        spaces = brk = false;
      }
    }
    if (brk) this.writeIndent();
    this.indicator("'", false, false, false);
  }

  double(text: string, allowBreaks: boolean): void {
    this.indicator('"', true, false, false);
    const ch = Array.from(text);
    let spaces = false;
    for (let i = 0; i < ch.length; i++) {
      const c = ch[i];
      const x = c.codePointAt(0)!;
      if (!isPrintable(c) || x === 0xfeff || isBreak(c) || c === '"' || c === '\\') {
        const esc = ESCAPES[x];
        this.put('\\' + (esc ?? (x <= 0xff ? 'x' + x.toString(16).toUpperCase().padStart(2, '0') : x <= 0xffff ? 'u' + x.toString(16).toUpperCase().padStart(4, '0') : 'U' + x.toString(16).toUpperCase().padStart(8, '0'))));
        spaces = false;
      } else if (c === ' ') {
        if (allowBreaks && !spaces && this.column > this.bestWidth && i !== 0 && i !== ch.length - 1) {
          this.writeIndent();
          if (ch[i + 1] === ' ') this.put('\\');
        } else this.put(c);
        spaces = true;
      } else {
        this.put(c);
        spaces = false;
      }
    }
    this.indicator('"', false, false, false);
  }
}

/** yaml.dump(value, Dumper=AnsibleDumper, allow_unicode=True, ...) */
export function pyYamlDump(v: unknown, o: YamlOpts = {}): string {
  let indent = o.indent ?? 2;
  if (indent < 2 || indent > 9) indent = 2;
  let width = o.width ?? 80;
  if (width >= 0 && width <= indent * 2) width = 80;
  if (width < 0) width = Number.MAX_SAFE_INTEGER;
  const e = new Emitter(indent, width, o.flowStyle === undefined ? null : o.flowStyle, o.sortKeys !== false);
  e.findAnchors(v);
  if (o.explicitStart) e.indicator('---', true, false, false);
  e.node(v, false, false);
  e.indent = -1;
  e.writeIndent();
  if (o.explicitEnd) {
    e.indicator('...', true, false, false);
    e.writeIndent();
  }
  return e.out;
}
