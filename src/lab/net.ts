/** The lab network on the machine: one bridge with a private /24, one veth per host (made by nspawn). */
import { BRIDGE, HOSTS, SUBNET_CANDIDATES } from './config.js';
import { LabError, run, runOk } from './sys.js';
import { ipJson, type IpLink, type IpRoute } from '../util/ipjson.js';

interface Route {
  dst: string;
  dev?: string;
}

function ipToInt(ip: string): number {
  const p = ip.split('.').map(Number);
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

/** Does the /24 `prefix` (three octets) overlap the route destination `dst` (a.b.c.d[/n])? */
export function overlaps(prefix: string, dst: string): boolean {
  if (dst === 'default' || dst.includes(':')) return false;
  const [addr, lenS] = dst.split('/');
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(addr)) return false;
  const len = Math.min(lenS === undefined ? 32 : Number(lenS), 24);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return ((ipToInt(addr) & mask) >>> 0) === ((ipToInt(prefix + '.0') & mask) >>> 0);
}

/**
 * The first candidate /24 that no route on the machine (other than the lab's own, on `ownDev`)
 * touches. `envName` names the variable that forces one (three octets, e.g. 10.99.7).
 */
export function chooseSubnet(routes: Route[], candidates = SUBNET_CANDIDATES, ownDev = BRIDGE, envName = 'KVPLAY_LAB_SUBNET'): string {
  const env = envName ? process.env[envName] : undefined; // e.g. 10.99.0  (three octets)
  const list = env ? [env.replace(/\.0(\/24)?$/, '')] : candidates;
  for (const c of list) {
    if (!routes.some((r) => r.dev !== ownDev && overlaps(c, r.dst))) return c;
  }
  throw new LabError(
    `every candidate lab network collides with a route on this machine: ${list.map((c) => c + '.0/24').join(', ')}`,
    `set ${envName} to three octets of a free /24, e.g. ${envName}=10.99.7`,
  );
}

export async function machineRoutes(): Promise<Route[]> {
  const out = await runOk('ip', ['-j', '-4', 'route', 'show', 'table', 'all']);
  return ipJson<IpRoute>(out).map((r) => ({ dst: String(r.dst), dev: String(r.dev) }));
}

export async function linkExists(name: string): Promise<boolean> {
  return (await run('ip', ['link', 'show', 'dev', name])).code === 0;
}

export async function labLinks(): Promise<string[]> {
  const out = await runOk('ip', ['-j', 'link']);
  const ours = new Set([BRIDGE, ...HOSTS.map((h) => h.veth)]);
  return ipJson<IpLink>(out).map((l) => String(l.ifname)).filter((n) => ours.has(n));
}

/** Create (or fix up) the lab bridge with address <subnet>.1/24. No forwarding, no NAT. */
export async function ensureBridge(subnet: string): Promise<void> {
  if (!(await linkExists(BRIDGE))) {
    const r = await run('ip', ['link', 'add', BRIDGE, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
    if (r.code !== 0 && !(await linkExists(BRIDGE))) throw new LabError(`cannot create bridge ${BRIDGE}: ${r.stderr.trim()}`);
  }
  const addr = `${subnet}.1/24`;
  const cur = ipJson<IpLink>(await runOk('ip', ['-j', '-4', 'addr', 'show', 'dev', BRIDGE]));
  const have = (cur[0]?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
  for (const a of have) if (a !== addr) await runOk('ip', ['addr', 'del', a, 'dev', BRIDGE]);
  if (!have.includes(addr)) await runOk('ip', ['addr', 'add', addr, 'dev', BRIDGE]);
  await runOk('ip', ['link', 'set', BRIDGE, 'up']);
  await isolateBridge(BRIDGE);
}

/**
 * Nothing entering from a lab bridge is forwarded, whatever the machine's ip_forward says: a policy
 * rule answers "unreachable" for every packet from the bridge that is not for the machine itself
 * (the local table comes first), so a host of one lab cannot reach another lab's hosts even with a
 * route through its gateway. The machine still reaches every lab (its packets are not from a bridge).
 */
const ISOLATION_PREF = '3200';
const isolationRule = (family: '-4' | '-6', bridge: string, verb: 'add' | 'del') =>
  ['-j', family, 'rule', verb, 'pref', ISOLATION_PREF, 'iif', bridge, 'unreachable'];

export async function isolationRules(family: '-4' | '-6', bridge = BRIDGE): Promise<number> {
  const rules = JSON.parse((await runOk('ip', ['-j', family, 'rule', 'show', 'pref', ISOLATION_PREF])) || '[]') as { iif?: string }[];
  return rules.filter((r) => r.iif === bridge).length;
}

export async function isolateBridge(bridge: string): Promise<void> {
  for (const f of ['-4', '-6'] as const) if (!(await isolationRules(f, bridge))) await runOk('ip', isolationRule(f, bridge, 'add'));
}

export async function removeIsolation(bridge: string): Promise<void> {
  for (const f of ['-4', '-6'] as const)
    for (let n = await isolationRules(f, bridge); n > 0; n--) await run('ip', isolationRule(f, bridge, 'del'));
}

/** Remove the hosts' veths (normally gone with their containers) and the bridge. */
export async function removeNetwork(): Promise<void> {
  for (const h of HOSTS) if (await linkExists(h.veth)) await run('ip', ['link', 'del', h.veth]);
  if (await linkExists(BRIDGE)) await runOk('ip', ['link', 'del', BRIDGE]);
  await removeIsolation(BRIDGE);
}
