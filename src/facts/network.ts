/** Pure parsers of `ip -j -d addr` / `ip -j route` (and plain `ip addr` / `ip route` as a fallback) into Ansible-style facts. */
import { ipJson, type IpAddrInfo, type IpLink, type IpRoute } from '../util/ipjson.js';

export interface Ipv4 { address: string; netmask: string; network: string; prefix: string; broadcast?: string }
export interface Ipv6 { address: string; prefix: string; scope: string }
export interface Iface {
  device: string;
  macaddress?: string;
  mtu?: number;
  active: boolean;
  type: string;
  promisc?: boolean;
  ipv4?: Ipv4;
  ipv4_secondaries?: Ipv4[];
  ipv6?: Ipv6[];
  /** bridge ports (type bridge) */
  interfaces?: string[];
  /** the bridge/bond this interface belongs to */
  master?: string;
}

export function prefixToMask(prefix: number): string {
  const m = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (m >>> s) & 255).join('.');
}

export function networkOf(addr: string, prefix: number): string {
  const a = addr.split('.').map(Number);
  const n = ((a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3]) >>> 0;
  const m = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const r = (n & m) >>> 0;
  return [24, 16, 8, 0].map((s) => (r >>> s) & 255).join('.');
}

function ipv4(address: string, prefix: number, broadcast?: string): Ipv4 {
  return { address, netmask: prefixToMask(prefix), network: networkOf(address, prefix), prefix: String(prefix), ...(broadcast ? { broadcast } : {}) };
}

function ifaceType(linkType: string | undefined, kind: string | undefined): string {
  if (linkType === 'loopback') return 'loopback';
  if (kind === 'bridge') return 'bridge';
  if (kind === 'bond') return 'bonding';
  if (kind === 'tun') return 'tun';
  if (linkType === 'ether') return 'ether';
  return linkType ?? 'unknown';
}

/** The addresses of a link of one family that have an address and a prefix length. */
const addrs = (l: IpLink, family: string) =>
  (Array.isArray(l.addr_info) ? l.addr_info : []).filter((a): a is IpAddrInfo & { local: string; prefixlen: number } => a?.family === family && typeof a.local === 'string' && typeof a.prefixlen === 'number');

/** `ip -j -d addr show` JSON -> interfaces by name. */
export function parseIpAddrJson(text: string): Record<string, Iface> {
  const out: Record<string, Iface> = {};
  for (const l of ipJson<IpLink>(text)) {
    const name = l.ifname;
    if (!name) continue;
    const i: Iface = {
      device: name,
      macaddress: l.address,
      mtu: l.mtu,
      active: Array.isArray(l.flags) && l.flags.includes('UP'),
      type: ifaceType(l.link_type, l.linkinfo?.info_kind),
      promisc: (l.promiscuity ?? 0) > 0,
    };
    if (l.master) i.master = l.master;
    const v4 = addrs(l, 'inet');
    const v6 = addrs(l, 'inet6');
    if (v4.length) {
      i.ipv4 = ipv4(v4[0].local, v4[0].prefixlen, v4[0].broadcast);
      if (v4.length > 1) i.ipv4_secondaries = v4.slice(1).map((a) => ipv4(a.local, a.prefixlen, a.broadcast));
    }
    if (v6.length) i.ipv6 = v6.map((a) => ({ address: a.local, prefix: String(a.prefixlen), scope: a.scope ?? '' }));
    out[name] = i;
  }
  linkBridges(out);
  return out;
}

function linkBridges(ifs: Record<string, Iface>): void {
  for (const i of Object.values(ifs)) {
    if (i.type === 'bridge') i.interfaces = Object.values(ifs).filter((x) => x.master === i.device).map((x) => x.device);
  }
}

/** Plain `ip addr show` text -> interfaces by name (fallback when ip has no -j). Interface names never hold whitespace (the kernel refuses them). */
export function parseIpAddrText(text: string): Record<string, Iface> {
  const out: Record<string, Iface> = {};
  let cur: Iface | undefined;
  for (const line of text.split('\n')) {
    const head = /^\d+:\s+([^:@\s]+)(?:@\S+)?:\s+<([^>]*)>(.*)$/.exec(line);
    if (head) {
      const flags = head[2].split(',');
      const mtu = /\bmtu (\d+)/.exec(head[3]);
      const master = /\bmaster (\S+)/.exec(head[3]);
      cur = { device: head[1], active: flags.includes('UP'), type: flags.includes('LOOPBACK') ? 'loopback' : 'unknown', ...(mtu ? { mtu: Number(mtu[1]) } : {}), ...(master ? { master: master[1] } : {}) };
      out[cur.device] = cur;
      continue;
    }
    if (!cur) continue;
    const t = line.trim();
    const link = /^link\/(\S+)(?: (\S+))?/.exec(t);
    if (link) {
      if (cur.type !== 'loopback') cur.type = link[1];
      if (link[2]) cur.macaddress = link[2];
      continue;
    }
    const v4 = /^inet (\d+\.\d+\.\d+\.\d+)\/(\d+)(?: brd (\S+))?/.exec(t);
    if (v4) {
      const a = ipv4(v4[1], Number(v4[2]), v4[3]);
      if (!cur.ipv4) cur.ipv4 = a;
      else (cur.ipv4_secondaries ??= []).push(a);
      continue;
    }
    const v6 = /^inet6 ([0-9a-f:]+)\/(\d+) scope (\S+)/i.exec(t);
    if (v6) (cur.ipv6 ??= []).push({ address: v6[1], prefix: v6[2], scope: v6[3] });
  }
  linkBridges(out);
  return out;
}

export interface DefaultRoute { interface: string; gateway?: string; src?: string }

/** `ip -j route show default` JSON or plain `ip route show default` text -> the first default route. */
export function parseDefaultRoute(text: string): DefaultRoute | undefined {
  const t = text.trim();
  if (!t) return undefined;
  if (t.startsWith('[')) {
    const r = ipJson<IpRoute>(t).find((x) => x.dst === 'default');
    return r ? { interface: r.dev ?? '', ...(r.gateway ? { gateway: r.gateway } : {}), ...(r.prefsrc ? { src: r.prefsrc } : {}) } : undefined;
  }
  for (const line of t.split('\n')) {
    if (!line.startsWith('default')) continue;
    const dev = /\bdev (\S+)/.exec(line);
    if (!dev) continue;
    const via = /\bvia (\S+)/.exec(line);
    const src = /\bsrc (\S+)/.exec(line);
    return { interface: dev[1], ...(via ? { gateway: via[1] } : {}), ...(src ? { src: src[1] } : {}) };
  }
  return undefined;
}

/** Ansible's ansible_<name> key for an interface (- : . become _). */
export function ifaceKey(name: string): string {
  return name.replace(/[-:.]/g, '_');
}

/** Network facts: interfaces, one dict per interface, all_ipv4/6_addresses, default_ipv4/6. */
export function networkFacts(ifs: Record<string, Iface>, r4?: DefaultRoute, r6?: DefaultRoute): Record<string, unknown> {
  const facts: Record<string, unknown> = {};
  const names = Object.keys(ifs);
  facts.interfaces = names;
  const all4: string[] = [];
  const all6: string[] = [];
  for (const i of Object.values(ifs)) {
    facts[ifaceKey(i.device)] = i;
    for (const a of [i.ipv4, ...(i.ipv4_secondaries ?? [])]) if (a && !a.address.startsWith('127.')) all4.push(a.address);
    for (const a of i.ipv6 ?? []) if (a.address !== '::1') all6.push(a.address);
  }
  facts.all_ipv4_addresses = all4;
  facts.all_ipv6_addresses = all6;
  const def = (r: DefaultRoute | undefined, v6: boolean) => {
    if (!r || !ifs[r.interface]) return {};
    const i = ifs[r.interface];
    const base = { interface: r.interface, alias: r.interface, macaddress: i.macaddress, mtu: i.mtu, type: i.type, ...(r.gateway ? { gateway: r.gateway } : {}) };
    if (v6) {
      const a = (i.ipv6 ?? []).find((x) => x.scope === 'global') ?? i.ipv6?.[0];
      return { ...base, ...(a ?? {}) };
    }
    const a = (r.src && [i.ipv4, ...(i.ipv4_secondaries ?? [])].find((x) => x?.address === r.src)) || i.ipv4;
    return { ...base, ...(a ?? {}) };
  };
  facts.default_ipv4 = def(r4, false);
  facts.default_ipv6 = def(r6, true);
  return facts;
}
