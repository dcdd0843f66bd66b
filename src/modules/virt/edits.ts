/**
 * Structured edits of a libvirt domain XML (pure): what domain_xml applies.
 *   - interface -> type bridge with <source bridge='BR'/> (and optionally a model)
 *   - drop the MAC address ONCE: libvirt then generates a new one; a marker in <metadata>
 *     (namespace KVPLAY_NS) records it, so the next run does not drop it again
 *   - disk cache mode
 *   - a generic edit: XPath + attribute/value/state (present, absent), creating missing
 *     simple path steps (`name` or `name[@a='v']`) like Ansible's xml module
 * Each edit returns human descriptions of what changed (empty: nothing to do).
 */
import { XEl, XmlDoc, type XAttr } from './xml.js';

export const KVPLAY_NS = 'https://kvplay.dev/xmlns/libvirt/1';
const MARK = 'kvplay:virt';

export interface InterfaceEdit {
  /** which interfaces: 'all' (default), an index (0-based), or a MAC address */
  select?: string | number;
  bridge: string;
  model?: string;
}

export interface GenericEdit {
  xpath: string;
  attribute?: string;
  value?: string;
  state?: 'present' | 'absent';
  namespaces?: Record<string, string>;
}

export interface Edits {
  interface?: InterfaceEdit;
  drop_mac?: boolean;
  disk_cache?: { cache: string; target?: string };
  edits?: GenericEdit[];
}

function pickInterfaces(devices: XEl | undefined, select: string | number | undefined): { el: XEl; label: string }[] {
  const all = devices?.children('interface') ?? [];
  const label = (el: XEl, i: number) => `interface ${i}${el.child('mac')?.attr('address') ? ` (${el.child('mac')!.attr('address')})` : ''}`;
  const withLabel = all.map((el, i) => ({ el, label: label(el, i) }));
  if (select === undefined || select === 'all') return withLabel;
  if (typeof select === 'number' || /^\d+$/.test(select)) {
    const i = Number(select);
    if (!all[i]) throw new Error(`the domain has no interface ${i} (it has ${all.length})`);
    return [withLabel[i]];
  }
  const mac = select.toLowerCase();
  const hit = withLabel.filter((x) => x.el.child('mac')?.attr('address')?.toLowerCase() === mac);
  if (!hit.length) throw new Error(`the domain has no interface with MAC ${select}`);
  return hit;
}

function setBridge(el: XEl, label: string, e: InterfaceEdit): string[] {
  const out: string[] = [];
  const before = el.attr('type');
  if (el.setAttr('type', 'bridge')) out.push(`${label}: type ${before ?? '(none)'} -> bridge`);
  const src = el.ensure('source');
  for (const k of Object.keys(src.attrs())) if (k !== 'bridge' && src.removeAttr(k)) out.push(`${label}: source @${k} removed`);
  const old = src.attr('bridge');
  if (src.setAttr('bridge', e.bridge)) out.push(`${label}: source bridge ${old ?? '(none)'} -> ${e.bridge}`);
  if (e.model) {
    const m = el.ensure('model');
    const om = m.attr('type');
    if (m.setAttr('type', e.model)) out.push(`${label}: model ${om ?? '(none)'} -> ${e.model}`);
  }
  return out;
}

function marker(root: XEl): XEl | undefined {
  return root.child('metadata')?.children(MARK)[0];
}

/** Has drop_mac already been applied to this domain? */
export function macDropped(doc: XmlDoc): boolean {
  return !!marker(doc.root)?.children('kvplay:mac-dropped').length;
}

function dropMacs(doc: XmlDoc, select: string | number | undefined): string[] {
  if (macDropped(doc)) return [];
  const out: string[] = [];
  for (const { el, label } of pickInterfaces(doc.root.child('devices'), select)) {
    const mac = el.child('mac');
    if (mac) {
      mac.remove();
      out.push(`${label}: MAC removed (libvirt generates a new one)`);
    }
  }
  const meta = doc.root.ensure('metadata');
  const mark = meta.children(MARK)[0] ?? meta.append(MARK, {}, undefined, KVPLAY_NS);
  mark.append('kvplay:mac-dropped', { at: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }, undefined, KVPLAY_NS);
  if (!out.length) out.push('MAC addresses: none to drop (marked as done)');
  return out;
}

function setDiskCache(doc: XmlDoc, cache: string, target: string | undefined): string[] {
  const out: string[] = [];
  const disks = (doc.root.child('devices')?.children('disk') ?? []).filter(
    (d) => (d.attr('device') ?? 'disk') === 'disk' && (target === undefined || d.child('target')?.attr('dev') === target),
  );
  if (!disks.length) throw new Error(target ? `the domain has no disk with target ${target}` : 'the domain has no disk');
  for (const d of disks) {
    const label = `disk ${d.child('target')?.attr('dev') ?? '?'}`;
    const drv = d.child('driver') ?? d.append('driver', { name: 'qemu' });
    const old = drv.attr('cache');
    if (drv.setAttr('cache', cache)) out.push(`${label}: cache ${old ?? '(default)'} -> ${cache}`);
  }
  return out;
}

/** Split an XPath into its top-level steps (outside brackets and quotes). */
export function xpathSteps(expr: string): string[] {
  const steps: string[] = [];
  let cur = '';
  let depth = 0;
  let quote = '';
  for (const ch of expr) {
    if (quote) { cur += ch; if (ch === quote) quote = ''; continue; }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '[') depth++;
    else if (ch === ']') depth--;
    if (ch === '/' && depth === 0) { steps.push(cur); cur = ''; continue; }
    cur += ch;
  }
  steps.push(cur);
  return steps;
}

const STEP = /^([A-Za-z_][\w.:-]*)(?:\[(.*)\])?$/;
const PRED = /^\s*@([A-Za-z_][\w.:-]*)\s*=\s*(?:'([^']*)'|"([^"]*)")\s*$/;

/** The element name and attributes of a creatable step, or null. */
export function creatableStep(step: string): { name: string; attrs: Record<string, string> } | null {
  const m = STEP.exec(step);
  if (!m) return null;
  const attrs: Record<string, string> = {};
  if (m[2] !== undefined) {
    for (const part of m[2].split(/\s+and\s+/)) {
      const p = PRED.exec(part);
      if (!p) return null;
      attrs[p[1]] = p[2] ?? p[3];
    }
  }
  return { name: m[1], attrs };
}

/** Elements matched by xpath, creating the missing tail of a simple absolute path. */
function ensurePath(doc: XmlDoc, xpath: string, ns: Record<string, string>, out: string[]): XEl[] {
  const found = doc.elements(xpath, ns);
  if (found.length) return found;
  const steps = xpathSteps(xpath);
  if (steps[0] !== '' || steps.length < 2) throw new Error(`'${xpath}' matches nothing, and only an absolute path (/domain/...) can be created`);
  for (let k = steps.length - 1; k >= 2; k--) {
    const base = doc.elements(steps.slice(0, k).join('/'), ns);
    if (!base.length) continue;
    const tail = steps.slice(k).map((s) => {
      const c = creatableStep(s);
      if (!c) throw new Error(`'${xpath}' matches nothing and its step '${s}' cannot be created (use name or name[@attr='value'])`);
      return c;
    });
    const made: XEl[] = [];
    for (const b of base) {
      let el = b;
      for (const t of tail) el = el.append(t.name, t.attrs);
      made.push(el);
    }
    out.push(`${xpath}: created`);
    return made;
  }
  throw new Error(`'${xpath}' matches nothing (not even its first steps)`);
}

function applyGeneric(doc: XmlDoc, e: GenericEdit): string[] {
  const out: string[] = [];
  const ns = e.namespaces ?? {};
  const state = e.state ?? 'present';
  if (state === 'absent') {
    for (const hit of doc.select(e.xpath, ns)) {
      if (hit instanceof XEl) {
        if (e.attribute) { if (hit.removeAttr(e.attribute)) out.push(`${e.xpath}: @${e.attribute} removed`); }
        else { hit.remove(); out.push(`${e.xpath}: <${hit.name}> removed`); }
      } else if (hit.el.removeAttr(hit.name)) out.push(`${e.xpath}: removed`);
    }
    return out;
  }
  // an expression ending in /@name selects attributes: set them on (created) parent elements
  const steps = xpathSteps(e.xpath);
  const last = steps[steps.length - 1];
  let xpath = e.xpath;
  let attribute = e.attribute;
  if (last.startsWith('@')) {
    if (attribute) throw new Error(`xpath '${e.xpath}' selects an attribute: do not also give attribute`);
    attribute = last.slice(1);
    xpath = steps.slice(0, -1).join('/');
  }
  if (attribute && e.value === undefined) throw new Error(`setting attribute ${attribute} needs a value`);
  const els = ensurePath(doc, xpath, ns, out);
  for (const el of els) {
    if (attribute) {
      const old = el.attr(attribute);
      if (el.setAttr(attribute, e.value!)) out.push(`${xpath}/@${attribute}: ${old ?? '(none)'} -> ${e.value}`);
    } else if (e.value !== undefined) {
      const old = el.text();
      if (el.setText(e.value)) out.push(`${xpath}: text ${JSON.stringify(old)} -> ${JSON.stringify(e.value)}`);
    }
  }
  return out;
}

/** Apply the edits to the document in place; the list of changes (empty: already as wanted). */
export function applyEdits(doc: XmlDoc, e: Edits, opts: { skipMacDrop?: boolean } = {}): string[] {
  if (doc.root.name !== 'domain') throw new Error(`root element is <${doc.root.name}>, not <domain>`);
  const out: string[] = [];
  if (e.interface) {
    for (const { el, label } of pickInterfaces(doc.root.child('devices'), e.interface.select)) out.push(...setBridge(el, label, e.interface));
    if (!doc.root.child('devices')?.children('interface').length) throw new Error('the domain has no network interface');
  }
  if (e.drop_mac && !opts.skipMacDrop) out.push(...dropMacs(doc, e.interface?.select));
  if (e.disk_cache) out.push(...setDiskCache(doc, e.disk_cache.cache, e.disk_cache.target));
  for (const g of e.edits ?? []) out.push(...applyGeneric(doc, g));
  return out;
}

export type { XAttr };
