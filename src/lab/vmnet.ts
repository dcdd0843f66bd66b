/**
 * The VM lab's network: a network namespace of its own holding a bridge and one tap per VM, and
 * a veth pair from the machine into that bridge (the machine's end holds <subnet>.1/24). No
 * forwarding, no NAT: the VMs reach each other and the machine's veth address, nothing else.
 * Removing the namespace removes the bridge, the taps and the veth pair at once.
 */
import { HostDef } from './config.js';
import { chooseSubnet, isolateBridge, isolationRules, linkExists, machineRoutes, removeIsolation } from './net.js';
import { otherLabsSubnets } from './registry.js';
import { LabError, run, runOk } from './sys.js';
import { VM_BRIDGE, VM_HOSTS, VM_NETNS, VM_SUBNET_CANDIDATES, VM_VETH_HOST, VM_VETH_NS, vmTap } from './vmconfig.js';

export async function netnsExists(ns = VM_NETNS): Promise<boolean> {
  const r = await run('ip', ['-j', 'netns', 'list']);
  if (r.code !== 0) return false;
  return (JSON.parse(r.stdout.trim() || '[]') as { name: string }[]).some((n) => n.name === ns);
}

const inNs = (args: string[]) => ['-n', VM_NETNS, ...args];

async function nsLinkExists(name: string): Promise<boolean> {
  return (await run('ip', inNs(['link', 'show', 'dev', name]))).code === 0;
}

/**
 * A free /24 for the VM lab (its own veth's route does not count as a collision). The container
 * labs' subnets count as taken even while they are down (their state keeps them), and
 * KVPLAY_VMLAB_SUBNET naming one of them is refused: the two flavours never share addresses.
 */
export async function chooseVmSubnet(): Promise<string> {
  const labs = otherLabsSubnets(CONTAINER_LABS_ONLY).filter((o) => o.owner !== 'the VM lab');
  const forced = process.env.KVPLAY_VMLAB_SUBNET?.replace(/\.0(\/24)?$/, '');
  const clash = forced && labs.find((o) => o.subnet === forced);
  if (clash) throw new LabError(`KVPLAY_VMLAB_SUBNET=${forced} is the subnet of ${clash.owner} (bridge ${clash.bridge})`, 'choose another /24 for the VM lab, or leave KVPLAY_VMLAB_SUBNET unset');
  const taken = labs.map((o) => ({ dst: `${o.subnet}.0/24`, dev: o.bridge }));
  return chooseSubnet([...(await machineRoutes()), ...taken], VM_SUBNET_CANDIDATES, VM_VETH_HOST, 'KVPLAY_VMLAB_SUBNET');
}

/** No container lab has this name (otherLabsSubnets(self) leaves out lab `self`). */
const CONTAINER_LABS_ONLY = '';

/** Create (or complete) the namespace, its bridge, the veth pair and the taps. Idempotent. */
export async function ensureVmNet(subnet: string, hosts: HostDef[] = VM_HOSTS): Promise<void> {
  if (!(await netnsExists())) {
    const r = await run('ip', ['netns', 'add', VM_NETNS]);
    if (r.code !== 0 && !(await netnsExists())) throw new LabError(`cannot create network namespace ${VM_NETNS}: ${r.stderr.trim()}`);
  }
  await runOk('ip', inNs(['link', 'set', 'lo', 'up']));
  if (!(await nsLinkExists(VM_BRIDGE))) await runOk('ip', inNs(['link', 'add', VM_BRIDGE, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']));
  await runOk('ip', inNs(['link', 'set', VM_BRIDGE, 'up']));
  if (!(await linkExists(VM_VETH_HOST))) {
    // a stale namespace end (its peer gone) would block the name
    if (await nsLinkExists(VM_VETH_NS)) await run('ip', inNs(['link', 'del', VM_VETH_NS]));
    await runOk('ip', ['link', 'add', VM_VETH_HOST, 'type', 'veth', 'peer', 'name', VM_VETH_NS, 'netns', VM_NETNS]);
  }
  await runOk('ip', inNs(['link', 'set', VM_VETH_NS, 'master', VM_BRIDGE, 'up']));
  const addr = `${subnet}.1/24`;
  const cur = JSON.parse((await runOk('ip', ['-j', '-4', 'addr', 'show', 'dev', VM_VETH_HOST])) || '[]') as { addr_info?: { local: string; prefixlen: number }[] }[];
  const have = (cur[0]?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
  for (const a of have) if (a !== addr) await runOk('ip', ['addr', 'del', a, 'dev', VM_VETH_HOST]);
  if (!have.includes(addr)) await runOk('ip', ['addr', 'add', addr, 'dev', VM_VETH_HOST]);
  await runOk('ip', ['link', 'set', VM_VETH_HOST, 'up']);
  // as for the container labs' bridges: nothing from the VMs is forwarded, whatever ip_forward says
  await isolateBridge(VM_VETH_HOST);
  for (const h of hosts) {
    const tap = vmTap(h);
    if (!(await nsLinkExists(tap))) await runOk('ip', inNs(['tuntap', 'add', 'dev', tap, 'mode', 'tap']));
    await runOk('ip', inNs(['link', 'set', tap, 'master', VM_BRIDGE, 'up']));
  }
}

/** Remove the namespace (bridge, taps, the veth pair). */
export async function removeVmNet(): Promise<void> {
  if (await netnsExists()) {
    const r = await run('ip', ['netns', 'del', VM_NETNS]);
    if (r.code !== 0 && (await netnsExists())) throw new LabError(`cannot remove network namespace ${VM_NETNS}: ${r.stderr.trim()}`);
  }
  // the veth pair goes with the namespace, a moment later
  for (let i = 0; i < 50 && (await linkExists(VM_VETH_HOST)); i++) await new Promise((r) => setTimeout(r, 100));
  if (await linkExists(VM_VETH_HOST)) await run('ip', ['link', 'del', VM_VETH_HOST]);
  await removeIsolation(VM_VETH_HOST);
}

/** What of the VM network is left on the machine. */
export async function vmNetRemnants(): Promise<string[]> {
  const out: string[] = [];
  if (await netnsExists()) out.push(`network namespace ${VM_NETNS}`);
  if (await linkExists(VM_VETH_HOST)) out.push(`link ${VM_VETH_HOST}`);
  for (const f of ['-4', '-6'] as const) if (await isolationRules(f, VM_VETH_HOST)) out.push(`ip ${f} rule iif ${VM_VETH_HOST}`);
  return out;
}
