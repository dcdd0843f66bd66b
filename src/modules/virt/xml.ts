/**
 * The XML adapter: the ONLY file importing an XML library.
 *
 * @xmldom/xmldom (a W3C DOM parser/serializer, pure JS) + xpath (XPath 1.0 over that DOM):
 * libvirt XML is edited structurally (attributes, child elements, namespaced <metadata>) and
 * written back with everything else untouched, which hand-written regex editing cannot promise.
 * The rest of kvplay sees only XmlDoc / XEl below.
 */
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import * as xpath from 'xpath';

const ELEMENT = 1;
const TEXT = 3;
const CDATA = 4;

type DomNode = any; // xmldom's node types (kept inside this file)

/** An element of a parsed document. */
export class XEl {
  constructor(readonly node: DomNode) {}

  get name(): string {
    return this.node.nodeName;
  }

  attr(name: string): string | undefined {
    return this.node.hasAttribute(name) ? this.node.getAttribute(name) : undefined;
  }

  attrs(): Record<string, string> {
    const out: Record<string, string> = {};
    const a = this.node.attributes;
    for (let i = 0; i < a.length; i++) out[a[i].name] = a[i].value;
    return out;
  }

  /** Set an attribute; returns true when the value changed. */
  setAttr(name: string, value: string): boolean {
    if (this.attr(name) === value) return false;
    this.node.setAttribute(name, value);
    return true;
  }

  /** Remove an attribute; returns true when it was there. */
  removeAttr(name: string): boolean {
    if (!this.node.hasAttribute(name)) return false;
    this.node.removeAttribute(name);
    return true;
  }

  children(name?: string): XEl[] {
    const out: XEl[] = [];
    for (let c = this.node.firstChild; c; c = c.nextSibling) {
      if (c.nodeType === ELEMENT && (name === undefined || c.nodeName === name)) out.push(new XEl(c));
    }
    return out;
  }

  child(name: string): XEl | undefined {
    return this.children(name)[0];
  }

  parent(): XEl | undefined {
    const p = this.node.parentNode;
    return p && p.nodeType === ELEMENT ? new XEl(p) : undefined;
  }

  /** Text content, trimmed. */
  text(): string {
    return String(this.node.textContent ?? '').trim();
  }

  /** Replace the content by a text; returns true when it changed. */
  setText(value: string): boolean {
    if (this.children().length === 0 && this.text() === value) return false;
    while (this.node.firstChild) this.node.removeChild(this.node.firstChild);
    this.node.appendChild(this.node.ownerDocument.createTextNode(value));
    return true;
  }

  /** This element (and its content) as XML text. */
  xml(): string {
    return new XMLSerializer().serializeToString(this.node);
  }

  remove(): void {
    const p = this.node.parentNode;
    if (!p) return;
    // take the indentation before the element with it
    const prev = this.node.previousSibling;
    if (prev && prev.nodeType === TEXT && !prev.data.trim()) p.removeChild(prev);
    p.removeChild(this.node);
  }

  /**
   * Append a child element, indented like its siblings. `qname` may be prefixed (`kvplay:x`)
   * when `ns` gives the namespace URI.
   */
  append(qname: string, attrs: Record<string, string> = {}, text?: string, ns?: string): XEl {
    const doc = this.node.ownerDocument;
    const el = ns ? doc.createElementNS(ns, qname) : doc.createElement(qname);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    if (text !== undefined) el.appendChild(doc.createTextNode(text));
    const depth = this.depth();
    const kids = this.children();
    const indent = '\n' + '  '.repeat(depth + 1);
    if (kids.length) {
      const last = kids[kids.length - 1].node;
      const ws = last.previousSibling && last.previousSibling.nodeType === TEXT && !last.previousSibling.data.trim() ? last.previousSibling.data : indent;
      this.node.insertBefore(doc.createTextNode(ws), last.nextSibling);
      this.node.insertBefore(el, last.nextSibling.nextSibling ?? null);
    } else {
      while (this.node.firstChild && this.node.firstChild.nodeType === TEXT && !this.node.firstChild.data.trim()) this.node.removeChild(this.node.firstChild);
      this.node.appendChild(doc.createTextNode(indent));
      this.node.appendChild(el);
      this.node.appendChild(doc.createTextNode('\n' + '  '.repeat(depth)));
    }
    return new XEl(el);
  }

  /** The first child named `name` (with these attributes), created when missing. */
  ensure(name: string, attrs: Record<string, string> = {}): XEl {
    const hit = this.children(name).find((c) => Object.entries(attrs).every(([k, v]) => c.attr(k) === v));
    return hit ?? this.append(name, attrs);
  }

  private depth(): number {
    let d = 0;
    for (let p = this.node.parentNode; p && p.nodeType === ELEMENT; p = p.parentNode) d++;
    return d;
  }
}

/** An attribute matched by an XPath expression. */
export interface XAttr {
  el: XEl;
  name: string;
  value: string;
}

export class XmlDoc {
  private constructor(private readonly doc: DomNode) {}

  /** Parse; malformed XML throws an Error naming `what`. */
  static parse(text: string, what: string): XmlDoc {
    let problem: string | undefined;
    const parser = new DOMParser({
      onError: (level: string, msg: string) => {
        if (level !== 'warning' && !problem) problem = msg;
      },
    });
    let doc: DomNode;
    try {
      doc = parser.parseFromString(text, 'text/xml');
    } catch (e) {
      problem ??= (e as Error | undefined)?.message ?? String(e);
    }
    if (problem || !doc?.documentElement) throw new Error(`${what}: not well-formed XML: ${String(problem ?? 'no root element').split('\n')[0]}`);
    return new XmlDoc(doc);
  }

  get root(): XEl {
    return new XEl(this.doc.documentElement);
  }

  toString(): string {
    return new XMLSerializer().serializeToString(this.doc);
  }

  /** XPath 1.0 (namespace prefixes from `ns`): the matched elements and attributes. Throws on a bad expression. */
  select(expr: string, ns: Record<string, string> = {}): (XEl | XAttr)[] {
    let r: unknown;
    try {
      r = Object.keys(ns).length ? xpath.useNamespaces(ns)(expr, this.doc) : xpath.select(expr, this.doc);
    } catch (e) {
      throw new Error(`bad XPath expression '${expr}': ${(e as Error | undefined)?.message ?? e}`);
    }
    if (!Array.isArray(r)) throw new Error(`XPath expression '${expr}' selects a value (${typeof r}), not elements or attributes`);
    return r.map((n: DomNode) => {
      if (n.nodeType === ELEMENT) return new XEl(n);
      if (n.nodeType === 2) return { el: new XEl(n.ownerElement), name: n.name, value: n.value };
      throw new Error(`XPath expression '${expr}' selects text or other nodes: select elements or @attributes`);
    });
  }

  elements(expr: string, ns: Record<string, string> = {}): XEl[] {
    return this.select(expr, ns).filter((x): x is XEl => x instanceof XEl);
  }
}

/** Canonical text of an element: sorted attributes, no comments, whitespace-only text dropped, text trimmed. */
export function canonical(el: XEl): string {
  const walk = (n: DomNode): string => {
    const attrs = new XEl(n).attrs();
    const a = Object.keys(attrs).sort().map((k) => ` ${k}=${JSON.stringify(attrs[k])}`).join('');
    let body = '';
    for (let c = n.firstChild; c; c = c.nextSibling) {
      if (c.nodeType === ELEMENT) body += walk(c);
      else if ((c.nodeType === TEXT || c.nodeType === CDATA) && c.data.trim()) body += JSON.stringify(c.data.trim());
    }
    return `<${n.nodeName}${a}>${body}</${n.nodeName}>`;
  };
  return walk(el.node);
}

/** Canonical text of a whole XML document (throws on malformed input). */
export function canonicalXml(text: string, what = 'XML'): string {
  return canonical(XmlDoc.parse(text, what).root);
}
