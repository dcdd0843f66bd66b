/**
 * Bridge facts and decisions (pure): which NIC is the uplink, which backend manages it
 * (NetworkManager, ifupdown, systemd-networkd, else iproute2 + a kvplay unit), whether br0 is
 * already as wanted at runtime and in the persistent configuration, and the ifupdown
 * /etc/network/interfaces transformation (NIC stanza -> manual, a br stanza with its address).
 */
import { q } from '../../util/quote.js';
import { parseDefaultRoute, parseIpAddrJson, type Iface } from '../../facts/network.js';
import { okOut, parseSections, PROBES, sectionScript, sectionTexts } from '../../facts/sections.js';

export type Backend = 'nm' | 'ifupdown' | 'networkd' | 'iproute2';

export interface BridgeFacts {
  ifs: Record<string, Iface>;
  /** interface of the IPv4 default route, and its gateway */
  defIf?: string;
  gateway?: string;
  nmRunning: boolean;
  /** nmcli device STATE per device */
  nmDevices: Record<string, string>;
  /** active NM connection types per device */
  nmActive: Record<string, string>;
  networkdActive: boolean;
  /** networkctl SETUP per link */
  networkdLinks: Record<string, string>;
  ifup: boolean;
  interfaces?: string;
  /** files under /etc/network/interfaces.d naming the NIC or bridge */
  interfacesD: string[];
  systemd: boolean;
  /** iproute2 backend: persistence script present with the same content hash */
  persistHash?: string;
  unitEnabled: boolean;
  netdevFile: boolean;
}

export const PERSIST_SCRIPT = (br: string) => `/etc/kvplay/bridge-${br}.sh`;
export const PERSIST_UNIT = (br: string) => `kvplay-bridge-${br}.service`;
export const NETDEV_FILE = (br: string) => `/etc/systemd/network/10-kvplay-${br}.netdev`;

export function bridgeFactCmd(br: string): string {
  return sectionScript([
    ['addr', 'ip -j -d addr show 2>/dev/null'],
    ['route', 'ip -j route show default 2>/dev/null'],
    ['nm', 'if [ $nm = yes ]; then echo running; nmcli -t -f DEVICE,STATE device 2>/dev/null; fi'],
    ['nmactive', '[ $nm = yes ] && nmcli -t -f DEVICE,TYPE connection show --active 2>/dev/null'],
    ['networkd', 'if systemctl is-active -q systemd-networkd 2>/dev/null; then echo active; networkctl list --no-legend --no-pager 2>/dev/null; fi'],
    ['ifup', 'command -v ifup >/dev/null 2>&1 && echo yes'],
    // rc 0: the file exists (its content, base64)
    ['interfaces', '[ -f /etc/network/interfaces ] && base64 < /etc/network/interfaces'],
    ['interfacesd', `grep -lE '^[[:space:]]*(iface|auto|allow-hotplug)[[:space:]]' /etc/network/interfaces.d/* 2>/dev/null`],
    ['systemd', '[ -d /run/systemd/system ] && echo yes'],
    ['persist', `[ -f ${q(PERSIST_SCRIPT(br))} ] && sha256sum < ${q(PERSIST_SCRIPT(br))} | cut -d" " -f1`],
    ['unit', `systemctl is-enabled ${q(PERSIST_UNIT(br))} 2>/dev/null`],
    ['netdev', `[ -f ${q(NETDEV_FILE(br))} ] && echo yes`],
  ], {
    ...PROBES,
    // NetworkManager asked for once (pidof is a process)
    prelude: 'nm=no; command -v nmcli >/dev/null 2>&1 && pidof NetworkManager >/dev/null 2>&1 && nm=yes',
  });
}

function kvLines(text: string, sep: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of text.split('\n')) {
    const i = l.indexOf(sep);
    if (i > 0) out[l.slice(0, i).trim()] = l.slice(i + sep.length).trim();
  }
  return out;
}

export function parseBridgeFacts(out: string): BridgeFacts {
  const s = sectionTexts(out);
  const ifaces = okOut(parseSections(out).interfaces);
  const route = parseDefaultRoute(s.route ?? '');
  const nm = (s.nm ?? '').split('\n');
  const nd = (s.networkd ?? '').split('\n');
  const links: Record<string, string> = {};
  for (const l of nd.slice(1)) {
    const w = l.trim().split(/\s+/);
    if (w.length >= 5) links[w[1]] = w[4];
  }
  return {
    ifs: parseIpAddrJson((s.addr ?? '').trim() || '[]'),
    ...(route ? { defIf: route.interface, ...(route.gateway ? { gateway: route.gateway } : {}) } : {}),
    nmRunning: nm[0]?.trim() === 'running',
    nmDevices: kvLines(nm.slice(1).join('\n'), ':'),
    nmActive: kvLines(s.nmactive ?? '', ':'),
    networkdActive: nd[0]?.trim() === 'active',
    networkdLinks: links,
    ifup: (s.ifup ?? '').trim() === 'yes',
    ...(ifaces !== undefined ? { interfaces: Buffer.from(ifaces.replace(/\s+/g, ''), 'base64').toString('utf8') } : {}),
    // names of root-owned files, only quoted in a message
    interfacesD: (s.interfacesd ?? '').split('\n').map((x) => x.trim()).filter(Boolean),
    systemd: (s.systemd ?? '').trim() === 'yes',
    ...((s.persist ?? '').trim() ? { persistHash: s.persist.trim() } : {}),
    unitEnabled: (s.unit ?? '').trim() === 'enabled',
    netdevFile: (s.netdev ?? '').trim() === 'yes',
  };
}

/** The uplink NIC: given, else the default route's interface, else the one holding `address` (ansible_host), else the only Ethernet NIC with IPv4. A bridge found there means its port. */
export function chooseUplink(f: BridgeFacts, br: string, given: string | undefined, address: string | undefined): string {
  const portOf = (b: string) => Object.values(f.ifs).find((i) => i.master === b && i.type !== 'bridge')?.device;
  const pick = (name: string | undefined) => (name && f.ifs[name]?.type === 'bridge' ? portOf(name) : name);
  if (given) return given;
  const byRoute = pick(f.defIf);
  if (byRoute) return byRoute;
  const holder = address ? Object.values(f.ifs).find((i) => [i.ipv4, ...(i.ipv4_secondaries ?? [])].some((a) => a?.address === address)) : undefined;
  const byAddr = pick(holder?.device);
  if (byAddr) return byAddr;
  if (f.ifs[br]) {
    const p = portOf(br);
    if (p) return p;
  }
  const eths = Object.values(f.ifs).filter((i) => i.type === 'ether' && i.ipv4 && !i.master);
  if (eths.length === 1) return eths[0].device;
  throw new Error(`cannot tell the uplink NIC (no default route${address ? `, ${address} not found on an interface` : ''}): give interface`);
}

export function chooseBackend(f: BridgeFacts, nic: string, br: string, want: string | undefined): Backend {
  if (want && want !== 'auto') return want as Backend;
  const nmManaged = (d: string) => f.nmDevices[d] !== undefined && !/unmanaged|unavailable/.test(f.nmDevices[d]);
  if (f.nmRunning && (nmManaged(nic) || nmManaged(br))) return 'nm';
  const ndManaged = (d: string) => /configur/.test(f.networkdLinks[d] ?? '');
  if (f.networkdActive && (ndManaged(nic) || ndManaged(br))) return 'networkd';
  const stanza = new RegExp(`^\\s*iface\\s+(${nic}|${br})\\s`, 'm');
  if (f.ifup && f.interfaces !== undefined && stanza.test(f.interfaces)) return 'ifupdown';
  return 'iproute2';
}

export interface Addr { cidr: string; family: 'inet' | 'inet6' }

/** Global addresses of an interface, as CIDRs. */
export function addrsOf(i: Iface | undefined): Addr[] {
  if (!i) return [];
  const v4 = [i.ipv4, ...(i.ipv4_secondaries ?? [])].filter((a): a is NonNullable<typeof a> => !!a).map((a) => ({ cidr: `${a.address}/${a.prefix}`, family: 'inet' as const }));
  const v6 = (i.ipv6 ?? []).filter((a) => a.scope === 'global').map((a) => ({ cidr: `${a.address}/${a.prefix}`, family: 'inet6' as const }));
  return [...v4, ...v6];
}

/** Runtime state: [] when br is a bridge, up, with nic as port, holding the addresses and nic holding none. */
export function runtimeProblems(f: BridgeFacts, br: string, nic: string): string[] {
  const b = f.ifs[br];
  const n = f.ifs[nic];
  const out: string[] = [];
  if (!n) return [`interface ${nic} not found`];
  if (!b) return [`${br} does not exist`];
  if (b.type !== 'bridge') return [`${br} exists but is a ${b.type}, not a bridge`];
  if (!b.active) out.push(`${br} is down`);
  if (n.master !== br) out.push(`${nic} is not a port of ${br}`);
  if (addrsOf(n).some((a) => a.family === 'inet')) out.push(`${nic} still holds ${addrsOf(n).map((a) => a.cidr).join(', ')}`);
  if (!addrsOf(b).some((a) => a.family === 'inet')) out.push(`${br} has no IPv4 address`);
  if (f.defIf && f.defIf !== br && f.defIf === nic) out.push(`default route still via ${nic}`);
  return out;
}

/** ifupdown: does the configuration already describe br over nic? */
export function ifupdownDone(text: string, br: string, nic: string): boolean {
  const st = stanzas(text);
  const b = st.find((s) => s.kind === 'iface' && s.name === br);
  return !!b && b.opts.some((o) => /^bridge[_-]ports\s/.test(o) && o.split(/\s+/).slice(1).includes(nic));
}

interface Stanza { kind: string; name: string; head: string; opts: string[]; start: number; end: number }

/** Split interfaces(5) text into stanzas (line ranges); options are the indented/non-keyword lines that follow an iface line. */
function stanzas(text: string): Stanza[] {
  const ls = text.split('\n');
  const out: Stanza[] = [];
  const KW = /^\s*(iface|auto|allow-\S+|mapping|source|source-directory|rename|no-auto-down|no-scripts)\b/;
  let cur: Stanza | undefined;
  ls.forEach((l, i) => {
    const m = KW.exec(l);
    if (m) {
      const w = l.trim().split(/\s+/);
      cur = { kind: w[0], name: w[1] ?? '', head: l, opts: [], start: i, end: i + 1 };
      out.push(cur);
    } else if (cur && cur.kind === 'iface' && l.trim() && !/^\s*#/.test(l)) {
      cur.opts.push(l.trim());
      cur.end = i + 1;
    }
  });
  return out;
}

/**
 * Pure: the interfaces text with br over nic. The nic's iface stanzas become one
 * `iface NIC inet manual`; each of them becomes `iface BR <family> <method>` with the same
 * options plus the bridge options (on the first one). NIC leaves its auto/allow-* lines; BR gets them.
 */
/**
 * `runtime`: the bridge's IPv4 addresses (and gateway) as they run now. Used when the NIC's stanza
 * holds no configuration of its own (`inet manual` without an address: it was converted before and
 * the bridge's stanza was lost), so that the stanza written back brings br up WITH its address.
 */
export function ifupdownConvert(text: string, br: string, nic: string, mac: string | undefined, o: { stp: boolean; fd: number; runtime?: { addrs: string[]; gateway?: string } }): string {
  if (ifupdownDone(text, br, nic)) return text;
  const ls = text.split('\n');
  const st = stanzas(text);
  const nicIfaces = st.filter((s) => s.kind === 'iface' && s.name === nic);
  if (!nicIfaces.length) throw new Error(`/etc/network/interfaces has no 'iface ${nic}' stanza`);
  const bridgeOpts = [`bridge_ports ${nic}`, `bridge_stp ${o.stp ? 'on' : 'off'}`, `bridge_fd ${o.fd}`, 'bridge_maxwait 0', ...(mac ? [`bridge_hw ${mac}`] : [])];
  const autoKinds = st.filter((s) => (s.kind === 'auto' || s.kind.startsWith('allow-')) && s.head.trim().split(/\s+/).slice(1).includes(nic)).map((s) => s.kind);
  const brLines: string[] = autoKinds.length ? [...new Set(autoKinds)].map((k) => `${k} ${br}`) : [];
  const first = nicIfaces[0].head.trim().split(/\s+/);
  const [addr0, ...more] = o.runtime?.addrs ?? [];
  const fromRuntime = addr0 !== undefined && (first[2] ?? 'inet') === 'inet' && (first[3] ?? 'manual') === 'manual' && !nicIfaces[0].opts.some((x) => /^address\s/.test(x));
  if (fromRuntime && !brLines.length) brLines.push(`auto ${br}`);
  nicIfaces.forEach((s, k) => {
    const w = s.head.trim().split(/\s+/);
    if (k === 0 && fromRuntime) {
      const own = [`address ${addr0}`, ...(o.runtime!.gateway ? [`gateway ${o.runtime!.gateway}`] : []), ...more.map((a) => `up ip addr add ${a} dev ${br}`)];
      brLines.push(`iface ${br} inet static`, ...[...own, ...s.opts, ...bridgeOpts].map((x) => `    ${x}`));
      return;
    }
    brLines.push(`iface ${br} ${w[2] ?? 'inet'} ${w[3] ?? 'manual'}`, ...[...s.opts, ...(k === 0 ? bridgeOpts : [])].map((x) => `    ${x}`));
  });
  const repl: Record<number, string[] | null> = {};
  nicIfaces.forEach((s, k) => {
    for (let i = s.start; i < s.end; i++) repl[i] = null;
    repl[s.start] = k === 0 ? [`iface ${nic} inet manual`, '', ...brLines] : [];
  });
  for (const s of st) {
    const w = s.head.trim().split(/\s+/);
    if ((s.kind === 'auto' || s.kind.startsWith('allow-')) && w.slice(1).includes(nic)) {
      const rest = w.slice(1).filter((x) => x !== nic);
      repl[s.start] = rest.length ? [`${w[0]} ${rest.join(' ')}`] : [];
    }
  }
  const out: string[] = [];
  ls.forEach((l, i) => {
    if (!(i in repl)) out.push(l);
    else if (repl[i]) out.push(...repl[i]!);
  });
  return out.join('\n');
}
