/**
 * bridge: br0 over the uplink NIC, its addresses and default route moved to the bridge,
 * WITHOUT cutting the SSH session: one detached remote script does the switch with the
 * backend that manages the NIC (NetworkManager, ifupdown, systemd-networkd, else iproute2 +
 * a kvplay unit) and rolls back unless the controller confirms over the new path in time.
 * Idempotent: br0 up with the NIC as port and the address (and the persistent config) -> ok.
 */
import type { ExplainCheck, Module, ModuleCtx, Plan, Step } from '../engine/module/types.js';
import { bool, int, object, str, strEnum, type Static } from '../engine/module/schema.js';
import { contentDiff, sha256, writeStep } from './lib/fileops.js';
import { catInto } from '../engine/module/explain.js';
import { q } from '../util/quote.js';
import {
  addrsOf, bridgeFactCmd, chooseBackend, chooseUplink, ifupdownConvert, ifupdownDone, parseBridgeFacts, runtimeProblems, PERSIST_SCRIPT, PERSIST_UNIT, type BridgeFacts,
} from './bridge/net.js';
import { persistScript, persistUnit, switchSteps, type SwitchSpec } from './bridge/script.js';

export type BridgeParams = Static<typeof schema>;

/** --explain: the interfaces, the default route and who manages the network, as `ip` and `nmcli` show them. */
function bridgeCheck(br: string, f: BridgeFacts): ExplainCheck[] {
  const show = (n: string) => `${n} ${f.ifs[n].type}${f.ifs[n].master ? ` (port of ${f.ifs[n].master})` : ''} ${addrsOf(f.ifs[n]).map((a) => a.cidr).join(' ') || '(no address)'}`;
  const ifs = Object.keys(f.ifs).filter((n) => f.ifs[n].type !== 'loopback');
  const out: ExplainCheck[] = [
    { cmd: 'ip -br addr', found: `${ifs.map(show).join('; ') || 'no interface'}${f.ifs[br] ? '' : `; no ${br}`}` },
    { cmd: 'ip route show default', found: f.gateway ? `via ${f.gateway} dev ${f.defIf}` : f.defIf ? `dev ${f.defIf}` : 'no default route' },
  ];
  if (f.nmRunning) out.push({ cmd: 'nmcli -t device', found: Object.entries(f.nmDevices).map(([d, s]) => `${d}: ${s}`).join('; ') || 'no device' });
  else out.push({ cmd: 'pidof NetworkManager; systemctl is-active systemd-networkd; command -v ifup', found: `${f.networkdActive ? 'systemd-networkd' : f.ifup ? 'ifupdown' : 'no network manager (iproute2)'} configures the network` });
  return out;
}

export function planBridge(p: BridgeParams, f: BridgeFacts, ctx: Pick<ModuleCtx, 'check' | 'diff' | 'vars'>): Plan {
  const br = p.name ?? 'br0';
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(br)) throw new Error(`invalid bridge name '${br}'`);
  const address = typeof ctx.vars?.ansible_host === 'string' ? ctx.vars.ansible_host : undefined;
  const nic = chooseUplink(f, br, p.interface?.trim() || undefined, address);
  if (!f.ifs[nic]) throw new Error(`interface ${nic} not found (interfaces: ${Object.keys(f.ifs).join(', ')})`);
  if (nic === br) throw new Error(`the uplink ${nic} is the bridge itself: give interface`);
  const backend = chooseBackend(f, nic, br, p.backend);
  const problems = runtimeProblems(f, br, nic);
  const nicAddrs = addrsOf(f.ifs[nic]);
  const spec: SwitchSpec = {
    br, nic, mac: f.ifs[nic].macaddress, addrs: nicAddrs.length ? nicAddrs : addrsOf(f.ifs[br]),
    gateway: f.defIf === nic ? f.gateway : undefined, stp: p.stp ?? false, fd: p.forward_delay ?? 0,
    backend, timeout: p.rollback_timeout ?? 20, systemd: f.systemd,
  };
  let newInterfaces: string | undefined;
  if (backend === 'ifupdown') {
    const text = f.interfaces ?? '';
    try {
      // runtime already bridged (only the file lost its stanza): the stanza carries the running address
      const runtime = problems.length ? undefined : { addrs: addrsOf(f.ifs[br]).filter((a) => a.family === 'inet').map((a) => a.cidr), gateway: f.defIf === br ? f.gateway : undefined };
      newInterfaces = ifupdownConvert(text, br, nic, spec.mac, { stp: spec.stp, fd: spec.fd, runtime });
    } catch (e) {
      const elsewhere = f.interfacesD.length ? ` (stanzas in ${f.interfacesD.join(', ')} are not edited: move ${nic}'s stanza into /etc/network/interfaces)` : '';
      throw new Error(`${(e as Error).message}${elsewhere}`);
    }
    spec.interfaces = newInterfaces;
  }
  let persistOk: boolean;
  switch (backend) {
    case 'ifupdown': persistOk = ifupdownDone(f.interfaces ?? '', br, nic); break;
    case 'nm': persistOk = f.nmActive[br] === 'bridge' || problems.length === 0; break;
    case 'networkd': persistOk = f.netdevFile; break;
    default: persistOk = f.persistHash === sha256(persistScript(spec)) && (!f.systemd || f.unitEnabled);
  }
  const result = { bridge: br, interface: nic, backend, addresses: spec.addrs.map((a) => a.cidr) };
  if (!problems.length && persistOk) {
    return { kind: 'ok', reason: `${br}: bridge over ${nic} with ${addrsOf(f.ifs[br]).map((a) => a.cidr).join(', ')} (${backend})`, result };
  }
  const diff = [];
  if (newInterfaces !== undefined && newInterfaces !== f.interfaces && ctx.diff) {
    diff.push(contentDiff('/etc/network/interfaces', { path: '/etc/network/interfaces', exists: true, parentDir: true, umask: 0o022, content: Buffer.from(f.interfaces ?? ''), f: { type: 'file', mode: 0o644, uid: 0, gid: 0, owner: 'root', group: 'root', size: 0, mtime: 0, inode: 0, dev: 0, nlink: 1 } }, newInterfaces));
  }
  if (problems.length) {
    if (!spec.addrs.some((a) => a.family === 'inet')) throw new Error(`${nic} has no IPv4 address to move to ${br} (${problems.join('; ')})`);
    return {
      kind: 'change',
      reason: `${br}: created over ${nic} (${backend}), ${spec.addrs.map((a) => a.cidr).join(', ')}${spec.gateway ? ` and default route via ${spec.gateway}` : ''} moved [${problems.join('; ')}]`,
      steps: switchSteps(spec),
      ...(diff.length ? { diff } : {}),
      result,
    };
  }
  // runtime as wanted, only the persistent configuration is missing
  const steps: Step[] = [];
  if (backend === 'ifupdown') {
    steps.push(writeStep({ path: '/etc/network/interfaces', content: newInterfaces!, mode: 0o644, backup: true, cur: { type: 'file', mode: 0o644, uid: 0, gid: 0, owner: 'root', group: 'root', size: 0, mtime: 0, inode: 0, dev: 0, nlink: 1 } }));
  } else if (backend === 'iproute2') {
    steps.push({ desc: `write ${PERSIST_SCRIPT(br)}`, cmd: `mkdir -p /etc/kvplay && cat > ${q(PERSIST_SCRIPT(br))}`, stdin: persistScript(spec), explain: `mkdir -p /etc/kvplay\n${catInto(q(PERSIST_SCRIPT(br)), persistScript(spec))}` });
    if (f.systemd) {
      steps.push({ desc: `enable ${PERSIST_UNIT(br)}`, cmd: `cat > /etc/systemd/system/${PERSIST_UNIT(br)} && systemctl daemon-reload && systemctl enable ${PERSIST_UNIT(br)}`, stdin: persistUnit(spec), explain: `${catInto(`/etc/systemd/system/${PERSIST_UNIT(br)}`, persistUnit(spec))}\nsystemctl daemon-reload && systemctl enable ${PERSIST_UNIT(br)}` });
    }
  } else {
    return { kind: 'ok', reason: `${br}: bridge over ${nic} at runtime; its ${backend} configuration was not made by kvplay and is left alone`, result };
  }
  return { kind: 'change', reason: `${br}: runtime as wanted; persistent ${backend} configuration written`, steps, ...(diff.length ? { diff } : {}), result };
}

const schema = object({
  name: str('Bridge name (default br0).'),
  interface: str('Uplink NIC to enslave (default, also when empty: the default route\'s interface, else the one holding ansible_host).'),
  backend: strEnum(['auto', 'nm', 'ifupdown', 'networkd', 'iproute2'], 'Who configures it: auto (default) chooses from facts: NetworkManager where it manages the NIC, ifupdown where /etc/network/interfaces has its stanza, systemd-networkd where it configures it, else iproute2 + a kvplay systemd unit.'),
  stp: bool('Spanning tree on the bridge.', false),
  forward_delay: int('Forward delay in seconds (default 0: the port forwards at once).', { minimum: 0, maximum: 30 }),
  rollback_timeout: int('Seconds the remote switch waits for the controller\'s confirmation before it rolls back (default 20).', { minimum: 3, maximum: 600 }),
});

export const bridge: Module<BridgeParams, { br: BridgeFacts }> = {
  name: 'bridge',
  doc: 'Bridge br0 over the uplink NIC, moving its addresses and default route, with a detached switch that rolls back unless the controller confirms.',
  notes: `Facts: \`ip -j -d addr\`, the default route, NetworkManager devices, networkd links, /etc/network/interfaces, the kvplay unit. The uplink NIC is \`interface\`, else the default route's interface, else the one holding \`ansible_host\` (the lab has no default route), else the only Ethernet NIC with IPv4. Backend: NetworkManager where it manages the NIC (\`nmcli\`: a bridge profile copying the old connection's IP settings + a port profile; rollback reactivates the old one), ifupdown where /etc/network/interfaces has the NIC's stanza (the stanza becomes \`iface NIC inet manual\` and its options move to \`iface br0\` with \`bridge_ports NIC\`, \`bridge_hw\` = the NIC's MAC; \`ifdown NIC; ifup br0\`), systemd-networkd where it configures the NIC (a .netdev, a port .network, the old .network copied for br0 and set aside), else iproute2 + /etc/kvplay/bridge-br0.sh and a \`kvplay-bridge-br0\` unit.

The switch never cuts the SSH session: step 1 starts ONE detached script (\`setsid nohup\`) that switches, checks (NIC enslaved, address on br0), writes the persistent configuration, reports \`switched\`, and then waits \`rollback_timeout\` seconds for a confirmation file; without it, it rolls everything back. Step 2 waits for \`switched\` (its answer has to cross the new path), step 3 touches the confirmation (it has to arrive over the new path) and waits for \`committed\`. A failed switch rolls back at once and the task fails with the script's log. Idempotent: br0 up with the NIC as port, the address on br0, none left on the NIC, and the persistent configuration present → \`ok\`; only the configuration missing → only the file is written.`,
  examples: `- bridge: {name: br0}
`,
  schema,
  facts: (p) => ({ br: { cmd: bridgeFactCmd(p.name ?? 'br0'), parse: (r) => parseBridgeFacts(r.stdout), explain: (f) => bridgeCheck(p.name ?? 'br0', f as BridgeFacts) } }),
  plan: (p, f, ctx) => planBridge(p, f.br, ctx),
};
