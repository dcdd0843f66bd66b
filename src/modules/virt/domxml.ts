/**
 * Pure reading of libvirt domain XML (what a guest needs from a host) and the comparison
 * libvirt_domain uses to decide whether a definition is already in place.
 *
 * Comparison: libvirt expands what it is given (uuid, MAC addresses, PCI addresses,
 * controllers, machine 'pc' -> 'pc-i440fx-7.2', memory in KiB...). So "the same definition"
 * means: every element, attribute and text of the WANTED XML is present in the CURRENT
 * (libvirt's) XML, with units and machine aliases normalized, and under <devices> the same
 * number of devices of each kind the wanted XML names (a removed disk is a change).
 */
import { XEl, XmlDoc } from './xml.js';

export interface IfaceInfo {
  index: number;
  type: string;
  bridge?: string;
  network?: string;
  mac?: string;
  model?: string;
}

export interface DiskInfo {
  device: string;
  type: string;
  /** file path, block device or volume */
  path?: string;
  pool?: string;
  volume?: string;
  target?: string;
  format?: string;
  cache?: string;
}

export interface DomainInfo {
  name: string;
  uuid?: string;
  type: string;
  memoryKiB: number;
  vcpus: number;
  arch?: string;
  machine?: string;
  interfaces: IfaceInfo[];
  disks: DiskInfo[];
  /** kernel, initrd, loader, nvram: files the target must have at the same path */
  bootFiles: string[];
  /** serial/console log files (their directories must exist on the target) */
  logFiles: string[];
  /** the <cpu> element as XML text, when there is one */
  cpuXml?: string;
}

const UNIT_KIB: Record<string, number> = {
  b: 1 / 1024, bytes: 1 / 1024, kb: 1000 / 1024, k: 1, kib: 1, mb: 1e6 / 1024, m: 1024, mib: 1024,
  gb: 1e9 / 1024, g: 1024 * 1024, gib: 1024 * 1024, tb: 1e12 / 1024, t: 1024 ** 3, tib: 1024 ** 3,
};

/** A libvirt memory value in KiB (unit attribute, default KiB). */
export function toKiB(value: string, unit = 'KiB'): number {
  const f = UNIT_KIB[unit.toLowerCase()];
  if (f === undefined) throw new Error(`unknown memory unit '${unit}'`);
  const n = Number(value.trim());
  if (!Number.isFinite(n)) throw new Error(`bad memory value '${value}'`);
  return Math.round(n * f);
}

export function parseDomain(xml: string, what = 'domain XML'): DomainInfo {
  const doc = XmlDoc.parse(xml, what);
  const d = doc.root;
  if (d.name !== 'domain') throw new Error(`${what}: root element is <${d.name}>, not <domain>`);
  const name = d.child('name')?.text();
  if (!name) throw new Error(`${what}: no <name>`);
  const mem = d.child('memory');
  const os = d.child('os');
  const type = os?.child('type');
  const devices = d.child('devices');
  const interfaces = (devices?.children('interface') ?? []).map((i, index): IfaceInfo => {
    const src = i.child('source');
    return {
      index,
      type: i.attr('type') ?? '',
      ...(src?.attr('bridge') ? { bridge: src.attr('bridge') } : {}),
      ...(src?.attr('network') ? { network: src.attr('network') } : {}),
      ...(i.child('mac')?.attr('address') ? { mac: i.child('mac')!.attr('address') } : {}),
      ...(i.child('model')?.attr('type') ? { model: i.child('model')!.attr('type') } : {}),
    };
  });
  const disks = (devices?.children('disk') ?? []).map((k): DiskInfo => {
    const src = k.child('source');
    const drv = k.child('driver');
    const path = src?.attr('file') ?? src?.attr('dev') ?? undefined;
    return {
      device: k.attr('device') ?? 'disk',
      type: k.attr('type') ?? 'file',
      ...(path ? { path } : {}),
      ...(src?.attr('pool') ? { pool: src.attr('pool'), volume: src.attr('volume') } : {}),
      ...(k.child('target')?.attr('dev') ? { target: k.child('target')!.attr('dev') } : {}),
      ...(drv?.attr('type') ? { format: drv.attr('type') } : {}),
      ...(drv?.attr('cache') ? { cache: drv.attr('cache') } : {}),
    };
  });
  const bootFiles = ['kernel', 'initrd', 'loader', 'nvram'].map((n) => os?.child(n)?.text()).filter((p): p is string => !!p && p.startsWith('/'));
  const logFiles: string[] = [];
  for (const c of [...(devices?.children('serial') ?? []), ...(devices?.children('console') ?? [])]) {
    if (c.attr('type') === 'file' && c.child('source')?.attr('path')) logFiles.push(c.child('source')!.attr('path')!);
    const log = c.child('log')?.attr('file');
    if (log) logFiles.push(log);
  }
  const cpu = d.child('cpu');
  return {
    name,
    ...(d.child('uuid') ? { uuid: d.child('uuid')!.text() } : {}),
    type: d.attr('type') ?? '',
    memoryKiB: mem ? toKiB(mem.text(), mem.attr('unit')) : 0,
    vcpus: Number(d.child('vcpu')?.text() ?? 1),
    ...(type?.attr('arch') ? { arch: type.attr('arch') } : {}),
    ...(type?.attr('machine') ? { machine: type.attr('machine') } : {}),
    interfaces,
    disks,
    bootFiles,
    logFiles: [...new Set(logFiles)],
    ...(cpu ? { cpuXml: cpu.xml() } : {}),
  };
}

const MEMORY_ELEMENTS = new Set(['memory', 'currentMemory', 'maxMemory']);

function machineMatches(want: string, cur: string): boolean {
  if (want === cur) return true;
  if (want === 'pc') return /^pc-i440fx-/.test(cur);
  if (want === 'q35') return /^pc-q35-/.test(cur);
  return false;
}

function diffEl(w: XEl, c: XEl, path: string, out: string[]): void {
  const wa = w.attrs();
  const mem = MEMORY_ELEMENTS.has(w.name) && path.split('/').length === 3; // /domain/memory
  for (const [k, v] of Object.entries(wa)) {
    if (mem && k === 'unit') continue;
    if (k === 'xmlns' || k.startsWith('xmlns:')) continue;
    const cv = c.attr(k);
    if (path === '/domain/os/type' && k === 'machine' && cv !== undefined && machineMatches(v, cv)) continue;
    if (cv !== v) out.push(`${path}/@${k}: ${cv === undefined ? '(none)' : JSON.stringify(cv)} -> ${JSON.stringify(v)}`);
  }
  const wKids = w.children();
  if (!wKids.length) {
    const wt = w.text();
    if (mem) {
      const a = toKiB(wt, w.attr('unit'));
      const b = c.text() ? toKiB(c.text(), c.attr('unit')) : NaN;
      if (a !== b) out.push(`${path}: ${c.text() || '(none)'} ${c.attr('unit') ?? 'KiB'} -> ${wt} ${w.attr('unit') ?? 'KiB'}`);
    } else if (wt !== '' && wt !== c.text()) {
      out.push(`${path}: ${JSON.stringify(c.text())} -> ${JSON.stringify(wt)}`);
    }
    return;
  }
  const names = [...new Set(wKids.map((k) => k.name))];
  for (const name of names) {
    const ws = w.children(name);
    const cs = c.children(name);
    if (w.name === 'devices' && path === '/domain/devices' && ws.length !== cs.length) {
      out.push(`${path}/${name}: ${cs.length} defined -> ${ws.length} wanted`);
    }
    const used = new Set<number>();
    ws.forEach((wk, i) => {
      const p = ws.length > 1 ? `${path}/${name}[${i + 1}]` : `${path}/${name}`;
      // pair with the first unused current element that matches exactly, else the next unused one
      let pick = cs.findIndex((ck, j) => !used.has(j) && subsetDiff(wk, ck, p).length === 0);
      if (pick < 0) pick = cs.findIndex((_, j) => !used.has(j));
      if (pick < 0) {
        out.push(`${p}: missing`);
        return;
      }
      used.add(pick);
      diffEl(wk, cs[pick], p, out);
    });
  }
}

/** Differences that make `current` not satisfy `wanted` (empty: same definition). */
export function subsetDiff(wanted: XEl, current: XEl, path = `/${wanted.name}`): string[] {
  const out: string[] = [];
  if (wanted.name !== current.name) return [`${path}: <${current.name}> -> <${wanted.name}>`];
  diffEl(wanted, current, path, out);
  return out;
}

/** Compare two domain XML texts (wanted vs libvirt's `dumpxml --inactive`). */
export function domainDiff(wantedXml: string, currentXml: string): string[] {
  const w = XmlDoc.parse(wantedXml, 'wanted domain XML').root;
  const c = XmlDoc.parse(currentXml, 'current domain XML').root;
  return subsetDiff(w, c, '/domain');
}

/** The wanted XML with the current uuid filled in (libvirt refuses a redefinition without it). */
export function withUuid(wantedXml: string, uuid: string | undefined): string {
  if (!uuid) return wantedXml;
  const doc = XmlDoc.parse(wantedXml, 'wanted domain XML');
  const u = doc.root.child('uuid');
  if (u) {
    if (u.text() !== uuid) throw new Error(`the XML has uuid ${u.text()} but the defined domain has ${uuid}: undefine it first (state: undefined) or remove <uuid>`);
    return wantedXml;
  }
  const name = doc.root.child('name');
  const el = doc.root.append('uuid', {}, uuid);
  // keep <uuid> right after <name> for readability
  if (name) name.node.parentNode.insertBefore(el.node, name.node.nextSibling);
  return doc.toString();
}
