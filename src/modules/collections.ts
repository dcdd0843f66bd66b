/**
 * Collection modules a playbook for this job uses, mapped onto kvplay's own modules where their
 * parameters express the same thing (an error names anything that is not supported):
 *   community.general.nmcli   type bridge / bridge-slave  -> bridge (the uplink enslaved, its addresses moved)
 *   community.libvirt.virt    state / command + xml       -> libvirt_domain
 *   community.libvirt.virt_pool  state / command + xml    -> libvirt_pool (the pool XML read into its fields)
 *   community.libvirt.virt_net   state / command + xml, autostart -> libvirt_network
 * Each wrapper translates its parameters in prepare and then plans with the target module.
 */
import { InputError } from '../util/errors.js';
import type { Module, ModuleCtx } from '../engine/module/types.js';
import { any, bool, int, object, str, strEnum, type Static } from '../engine/module/schema.js';
import type { BridgeParams } from './bridge.js';
import type { DomainParams } from './libvirt_domain.js';
import type { PoolParams } from './libvirt_pool.js';
import type { NetworkParams } from './libvirt_network.js';

const unsupported = (mod: string, what: string, hint: string) => new InputError(`${mod}: ${what} is not supported by kvplay`, undefined, hint);

// ---------- community.general.nmcli -> bridge

const nmcliSchema = object(
  {
    conn_name: str('The connection name.'),
    type: str('bridge (the bridge, over the default route\'s NIC) or bridge-slave (ifname becomes a port of master); other types are not supported.'),
    ifname: str('bridge: the bridge device (default conn_name); bridge-slave: the NIC.'),
    master: str('bridge-slave: the bridge.'),
    slave_type: str('With type ethernet: bridge.'),
    state: strEnum(['present', 'absent', 'up', 'down'], 'present (default); absent/down are not supported.'),
    stp: bool('Spanning tree on the bridge.'),
    forwarddelay: int('Forward delay in seconds.'),
    autoconnect: bool('Accepted when true (the bridge is persistent).'),
    method4: str('auto/disabled accepted (the uplink\'s addresses are moved); manual is not supported.'),
    method6: str('auto/disabled/ignore accepted.'),
  },
  { required: ['conn_name'], additionalProperties: true },
);
export type NmcliParams = Static<typeof nmcliSchema> & Record<string, unknown>;

const NMCLI_IGNORED = new Set(['conn_name', 'type', 'ifname', 'master', 'state', 'stp', 'forwarddelay', 'autoconnect', 'slave_type', 'method4', 'method6']);

/** nmcli parameters -> the bridge module's, or an InputError naming what kvplay cannot do. */
export function nmcliToBridge(p: NmcliParams): BridgeParams {
  const M = 'community.general.nmcli';
  if ((p.state ?? 'present') !== 'present' && p.state !== 'up') throw unsupported(M, `state ${p.state}`, 'kvplay sets a bridge up (state present); remove it by hand');
  if (p.autoconnect === false) throw unsupported(M, 'autoconnect: false', 'the bridge kvplay makes is persistent');
  const other = Object.keys(p).filter((k) => !NMCLI_IGNORED.has(k) && p[k] !== undefined);
  if (other.length) throw unsupported(M, `parameter ${other.join(', ')}`, "kvplay's bridge moves the uplink's addresses and default route to the bridge: no ip4/gw4/dns settings");
  for (const m of ['method4', 'method6'] as const) if (p[m] !== undefined && !['auto', 'disabled', 'ignore', 'link-local'].includes(String(p[m]))) throw unsupported(M, `${m}: ${String(p[m])}`, "the bridge keeps the uplink's addresses");
  if (p.type === 'bridge') return { name: p.ifname ?? p.conn_name, ...(p.stp !== undefined ? { stp: p.stp } : {}), ...(p.forwarddelay !== undefined ? { forward_delay: p.forwarddelay } : {}) };
  if (p.type === 'bridge-slave' || (p.type === 'ethernet' && p.master !== undefined && (p.slave_type === undefined || p.slave_type === 'bridge'))) {
    if (!p.master) throw new InputError(`${M}: type ${p.type} needs master (the bridge)`, undefined, 'e.g. master: br0');
    return { name: p.master, ...(p.ifname !== undefined ? { interface: p.ifname } : {}) };
  }
  throw unsupported(M, `type ${p.type ?? '(none)'}`, 'kvplay maps only bridges (type bridge, bridge-slave) onto its bridge module');
}

/** What a wrapper's prepare returns: the target module's parameters, and what the target's own prepare returned. */
interface Wrapped<Q> {
  q: Q;
  prep: unknown;
}

function wrap<P extends object, Q extends object>(name: string, doc: string, schema: object, target: () => Promise<Module<Q>>, translate: (p: P, ctx: ModuleCtx) => Q | Promise<Q>): Module<P, Record<string, unknown>, Wrapped<Q>> {
  let mod: Module<Q> | undefined;
  const t = async () => (mod ??= await target());
  return {
    name,
    doc,
    schema,
    async prepare(p, ctx) {
      const m = await t();
      const q = await translate(p, ctx);
      return { q, prep: m.prepare ? await m.prepare(q, ctx) : undefined };
    },
    facts: (_p, ctx, w) => (mod?.facts ? mod.facts(w!.q, ctx, w!.prep) : {}),
    plan: (_p, f, ctx, w) => mod!.plan!(w!.q, f, ctx, w!.prep),
    explain: (_p, f, ctx, w) => (mod?.explain ? mod.explain(w!.q, f, ctx, w!.prep) : []),
    result: (_p, f, r, ctx, after, w) => (mod?.result ? mod.result(w!.q, f, r, ctx, after, w!.prep) : {}),
  };
}

export const nmcli = wrap<NmcliParams, BridgeParams>(
  'nmcli',
  "community.general.nmcli for bridges (type bridge / bridge-slave), done by kvplay's bridge module: the uplink enslaved, its addresses and default route moved, with rollback.",
  nmcliSchema,
  async () => (await import('./bridge.js')).bridge as Module<BridgeParams>,
  (p) => nmcliToBridge(p),
);

// ---------- community.libvirt.virt -> libvirt_domain

const SYSTEM_URI = 'qemu:///system';

const virtSchema = object({
  name: str('The guest (alias guest).', { aliases: ['guest'] }),
  state: strEnum(['running', 'shutdown', 'destroyed', 'paused'], 'running, shutdown, destroyed (paused is not supported).'),
  command: str('define, create, start, shutdown, stop, destroy, undefine (the others are not supported).'),
  xml: str('The domain XML (define/create).'),
  autostart: bool('Start the guest when libvirtd starts.'),
  uri: str(`Only ${SYSTEM_URI}.`),
});
export type VirtParams = Static<typeof virtSchema>;

export function virtToDomain(p: VirtParams): DomainParams {
  const M = 'community.libvirt.virt';
  if (p.uri !== undefined && p.uri !== SYSTEM_URI) throw unsupported(M, `uri ${p.uri}`, `kvplay talks to ${SYSTEM_URI} on each host`);
  const name = p.name;
  const states: Record<string, DomainParams['state']> = { running: 'running', shutdown: 'shutoff', destroyed: 'destroyed' };
  const commands: Record<string, DomainParams['state']> = { define: 'defined', create: 'running', start: 'running', shutdown: 'shutoff', stop: 'shutoff', destroy: 'destroyed', undefine: 'undefined' };
  let state: DomainParams['state'] | undefined;
  if (p.state !== undefined) {
    state = states[p.state];
    if (!state) throw unsupported(M, `state ${p.state}`, 'running, shutdown, destroyed');
  }
  if (p.command !== undefined) {
    const c = commands[p.command];
    if (!c) throw unsupported(M, `command ${p.command}`, `commands: ${Object.keys(commands).join(', ')} (use virsh with command: for the others)`);
    if (state && state !== c) throw new InputError(`${M}: state ${p.state} and command ${p.command} disagree`, undefined, 'give one of them');
    state = c;
  }
  if (!state && p.autostart === undefined) throw new InputError(`${M}: state, command or autostart is required`, undefined, 'e.g. state: running');
  if (!name && p.xml === undefined) throw new InputError(`${M}: name is required`, undefined, 'name: GUEST');
  return { ...(name ? { name } : {}), ...(p.xml !== undefined ? { xml: p.xml } : {}), ...(state ? { state } : { state: 'defined' }), ...(p.autostart !== undefined ? { autostart: p.autostart } : {}), ...(p.xml === undefined ? { redefine: false } : {}) };
}

export const virt = wrap<VirtParams, DomainParams>(
  'virt',
  "community.libvirt.virt (state running/shutdown/destroyed; command define/create/start/shutdown/destroy/undefine; xml; autostart), done by kvplay's libvirt_domain.",
  virtSchema,
  async () => (await import('./libvirt_domain.js')).libvirt_domain as Module<DomainParams>,
  (p) => virtToDomain(p),
);

// ---------- community.libvirt.virt_pool -> libvirt_pool

const virtPoolSchema = object({
  name: str('The pool (must match the xml\'s <name>).'),
  state: strEnum(['active', 'inactive', 'present', 'absent', 'deleted', 'undefined'], 'active, present, absent/undefined (inactive and deleted are not supported).'),
  command: str('define, create, start, undefine (the others are not supported).'),
  xml: str('The pool XML (dir, fs or netfs).'),
  autostart: bool('Start the pool when libvirtd starts.'),
  uri: str(`Only ${SYSTEM_URI}.`),
  mode: any('Not supported.'),
});
export type VirtPoolParams = Static<typeof virtPoolSchema>;

/** The pool XML's fields kvplay's libvirt_pool takes (dir, fs, netfs). */
export async function poolFromXml(xml: string): Promise<Omit<PoolParams, 'state'>> {
  const { XmlDoc } = await import('./virt/xml.js');
  const root = XmlDoc.parse(xml, 'virt_pool xml').root;
  const type = root.attr('type');
  if (type !== 'dir' && type !== 'fs' && type !== 'netfs') throw unsupported('community.libvirt.virt_pool', `pool type ${type}`, 'dir, fs, netfs');
  const name = root.child('name')?.text().trim();
  const target = root.child('target')?.child('path')?.text().trim();
  if (!name || !target) throw new InputError('community.libvirt.virt_pool: the pool XML needs <name> and <target><path>', undefined, 'e.g. <pool type="dir"><name>p</name><target><path>/srv/p</path></target></pool>');
  const src = root.child('source');
  const host = src?.child('host')?.attr('name');
  const path = src?.child('dir')?.attr('path') ?? src?.child('device')?.attr('path');
  const format = src?.child('format')?.attr('type');
  return { name, type, target, ...(host ? { source_host: host } : {}), ...(path ? { source_path: path } : {}), ...(format ? { source_format: format } : {}) };
}

export async function virtPoolToPool(p: VirtPoolParams): Promise<PoolParams> {
  const M = 'community.libvirt.virt_pool';
  if (p.uri !== undefined && p.uri !== SYSTEM_URI) throw unsupported(M, `uri ${p.uri}`, `kvplay talks to ${SYSTEM_URI} on each host`);
  if (p.mode !== undefined) throw unsupported(M, `mode ${p.mode}`, 'the pool is built when its target is missing');
  const states: Record<string, PoolParams['state']> = { active: 'active', present: 'defined', absent: 'absent', undefined: 'absent' };
  const commands: Record<string, PoolParams['state']> = { define: 'defined', create: 'active', start: 'active', undefine: 'absent' };
  let state: PoolParams['state'] | undefined;
  if (p.state !== undefined && !(state = states[p.state])) throw unsupported(M, `state ${p.state}`, 'active, present, absent, undefined');
  if (p.command !== undefined) {
    const c = commands[p.command];
    if (!c) throw unsupported(M, `command ${p.command}`, `commands: ${Object.keys(commands).join(', ')}`);
    state = c;
  }
  if (p.xml === undefined) throw unsupported(M, 'a pool without xml', "kvplay's libvirt_pool needs the pool's type and target: give xml");
  const fields = await poolFromXml(p.xml);
  if (p.name !== undefined && p.name !== fields.name) throw new InputError(`${M}: name ${p.name} is not the <name> of the xml (${fields.name})`, undefined, 'make them agree');
  return { ...fields, state: state ?? 'active', ...(p.autostart !== undefined ? { autostart: p.autostart } : {}) };
}

export const virt_pool = wrap<VirtPoolParams, PoolParams>(
  'virt_pool',
  "community.libvirt.virt_pool (state active/present/absent; command define/create/start/undefine; xml of a dir, fs or netfs pool; autostart), done by kvplay's libvirt_pool.",
  virtPoolSchema,
  async () => (await import('./libvirt_pool.js')).libvirt_pool as Module<PoolParams>,
  (p) => virtPoolToPool(p),
);

// ---------- community.libvirt.virt_net -> libvirt_network

const virtNetSchema = object(
  {
    name: str('The network (the <name> of the xml).'),
    state: strEnum(['active', 'inactive', 'present', 'absent'], 'active, present, absent (inactive is not supported).'),
    command: str('define, create, start, undefine (the others are not supported).'),
    xml: str('The network XML (define/create, or to redefine an existing network that differs).'),
    autostart: bool('Start the network when libvirtd starts.'),
    uri: str(`Only ${SYSTEM_URI}.`),
  },
  { required: ['name'] },
);
export type VirtNetParams = Static<typeof virtNetSchema>;

export function virtNetToNetwork(p: VirtNetParams): NetworkParams {
  const M = 'community.libvirt.virt_net';
  if (p.uri !== undefined && p.uri !== SYSTEM_URI) throw unsupported(M, `uri ${p.uri}`, `kvplay talks to ${SYSTEM_URI} on each host`);
  const states: Record<string, NetworkParams['state']> = { active: 'active', present: 'defined', absent: 'absent' };
  const commands: Record<string, NetworkParams['state']> = { define: 'defined', create: 'active', start: 'active', undefine: 'absent' };
  let state: NetworkParams['state'] | undefined;
  if (p.state !== undefined && !(state = states[p.state])) throw unsupported(M, `state ${p.state}`, 'active, present, absent');
  if (p.command !== undefined) {
    const c = commands[p.command];
    if (!c) throw unsupported(M, `command ${p.command}`, `commands: ${Object.keys(commands).join(', ')} (virsh net-* with command: for the others)`);
    if (state && state !== c) throw new InputError(`${M}: state ${p.state} and command ${p.command} disagree`, undefined, 'give one of them');
    state = c;
  }
  // Ansible: autostart alone changes only the autostart flag of an existing network
  if (!state && p.autostart === undefined) throw new InputError(`${M}: state, command or autostart is required`, undefined, 'e.g. state: active');
  return { name: p.name, state: state ?? 'defined', ...(p.xml !== undefined ? { xml: p.xml } : {}), ...(p.autostart !== undefined ? { autostart: p.autostart } : {}) };
}

export const virt_net = wrap<VirtNetParams, NetworkParams>(
  'virt_net',
  "community.libvirt.virt_net (state active/present/absent; command define/create/start/undefine; xml; autostart), done by kvplay's libvirt_network.",
  virtNetSchema,
  async () => (await import('./libvirt_network.js')).libvirt_network as Module<NetworkParams>,
  (p) => virtNetToNetwork(p),
);
