/**
 * libvirt_network: a libvirt virtual network from its XML (as community.libvirt.virt_net takes
 * it): defined/active/absent, autostart. Facts: net-info + net-dumpxml --inactive in one round
 * trip. Compared structurally (virt/domxml.ts subsetDiff): what libvirt adds (uuid, mac, bridge
 * name) is no difference. A network that needs a new definition is redefined in place, keeping
 * its uuid (libvirt applies it at the next start: a running network is never stopped for it).
 */
import { q } from '../util/quote.js';
import type { Module, Plan, Step } from '../engine/module/types.js';
import { bool, object, str, strEnum, type Static } from '../engine/module/schema.js';
import { subsetDiff } from './virt/domxml.js';
import { assumeVirsh } from './virt/virsh.js';
import { XmlDoc } from './virt/xml.js';
import { isNotFound, parseKv, virshError, virshMissing } from '../facts/virsh.js';
import { sectionScript, sectionsOf, type Section } from '../facts/sections.js';

export type NetworkParams = Static<typeof schema>;

export interface NetworkFacts {
  missingVirsh?: boolean;
  info: { exists: boolean; active?: boolean; autostart?: boolean };
  xml?: string;
}

export function parseNetworkFacts(s: Record<string, Section>): NetworkFacts {
  if (virshMissing(s)) return { missingVirsh: true, info: { exists: false } };
  const i = s.info ?? { out: '', rc: -1 };
  if (i.rc !== 0) {
    if (isNotFound(i.out)) return { info: { exists: false } };
    throw new Error(`virsh net-info: ${virshError(i.out)}`);
  }
  const kv = parseKv(i.out);
  const yes = (v: string | undefined) => (v === undefined ? undefined : /^yes/i.test(v));
  if (s.xml?.rc !== 0) throw new Error(`virsh net-dumpxml: ${virshError(s.xml?.out ?? '')}`);
  return { info: { exists: true, active: yes(kv['Active']), autostart: yes(kv['Autostart']) }, xml: s.xml.out };
}

/** The <name> of a network XML (an Error when it has none). */
export function networkName(xml: string): string {
  const root = XmlDoc.parse(xml, 'network XML').root;
  const name = root.child('name')?.text().trim();
  if (!name) throw new Error('the network XML needs a <name>');
  return name;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function defineStep(xml: string, desc: string): Step {
  return {
    desc,
    cmd: `t=$(mktemp /tmp/kvplay-network-XXXXXX.xml) || exit 1\ncat > "$t"\nvirsh net-define "$t"; rc=$?\nrm -f "$t"\nexit $rc`,
    stdin: xml,
    explain: `cat > /tmp/kvplay-network.xml <<'EOF'\n${xml.trimEnd()}\nEOF\nvirsh net-define /tmp/kvplay-network.xml`,
  };
}

export function planNetwork(p: NetworkParams, f: NetworkFacts): Plan {
  const state = p.state ?? 'active';
  const n = q(p.name);
  const result = { name: p.name, state };
  if (state === 'absent') {
    if (!f.info.exists) return { kind: 'ok', reason: `network ${p.name}: absent`, result };
    const steps: Step[] = [];
    if (f.info.active) steps.push({ desc: `stop network ${p.name}`, cmd: `virsh net-destroy ${n}` });
    steps.push({ desc: `undefine network ${p.name}`, cmd: `virsh net-undefine ${n}` });
    return { kind: 'change', reason: `network ${p.name}: ${f.info.active ? 'stopped and ' : ''}undefined`, steps, result };
  }
  const steps: Step[] = [];
  const why: string[] = [];
  if (p.xml !== undefined && networkName(p.xml) !== p.name) throw new Error(`network ${p.name}: the XML's <name> is ${networkName(p.xml)}`);
  if (!f.info.exists) {
    if (p.xml === undefined) throw new Error(`network ${p.name} is not defined: give its xml`);
    steps.push(defineStep(p.xml, `define network ${p.name}`));
    why.push('defined');
  } else if (p.xml !== undefined) {
    const cur = XmlDoc.parse(f.xml!, `network ${p.name} XML`).root;
    const diffs = subsetDiff(XmlDoc.parse(p.xml, 'wanted network XML').root, cur, '/network');
    if (diffs.length) {
      const uuid = cur.child('uuid')?.text();
      const withUuid = uuid && !/<uuid>/.test(p.xml) ? p.xml.replace(/<\/name>/, `</name>\n  <uuid>${esc(uuid)}</uuid>`) : p.xml;
      steps.push(defineStep(withUuid, `redefine network ${p.name}`));
      why.push(`redefined (${diffs.join('; ')})${f.info.active ? ', effective at the next network start' : ''}`);
    }
  }
  if (state === 'active' && !f.info.active) {
    steps.push({ desc: `start network ${p.name}`, cmd: `virsh net-start ${n}` });
    why.push('started');
  }
  if (p.autostart !== undefined && (f.info.autostart ?? false) !== p.autostart) {
    steps.push({ desc: `network ${p.name} autostart ${p.autostart ? 'on' : 'off'}`, cmd: `virsh net-autostart ${n}${p.autostart ? '' : ' --disable'}` });
    why.push(`autostart ${p.autostart ? 'on' : 'off'}`);
  }
  if (!steps.length) return { kind: 'ok', reason: `network ${p.name}: ${f.info.active ? 'active' : 'inactive'}${f.info.autostart ? ', autostart' : ''}`, result };
  return { kind: 'change', reason: `network ${p.name}: ${why.join(', ')}`, steps, result };
}

const schema = object(
  {
    name: str('Network name (the <name> of the xml).'),
    xml: str('The network XML (needed to define it; when given, an existing network is redefined if it differs).'),
    state: strEnum(['defined', 'active', 'absent'], 'active (defined and started, default), defined (started or not as it is), absent (stopped and undefined).'),
    autostart: bool('Start the network when libvirtd starts.'),
  },
  { required: ['name'] },
);

export const libvirt_network: Module<NetworkParams, { all: NetworkFacts }> = {
  name: 'libvirt_network',
  doc: 'A libvirt virtual network from its XML: defined/active/absent, autostart; compared structurally, so re-running is ok.',
  schema,
  facts: (p) => ({
    all: {
      cmd: sectionScript([
        ['info', `virsh net-info ${q(p.name)}`],
        ['xml', `virsh net-dumpxml --inactive ${q(p.name)}`],
      ], { mode: 'parallel' }),
      parse: (r) => parseNetworkFacts(sectionsOf(r, 'libvirt_network facts')),
      explain: (f) => {
        const nf = f as NetworkFacts;
        if (nf.missingVirsh) return [{ cmd: 'command -v virsh', found: 'virsh is not installed' }];
        return [{ cmd: `virsh net-info ${q(p.name)}`, found: nf.info.exists ? `${nf.info.active ? 'active' : 'inactive'}, autostart ${nf.info.autostart ? 'on' : 'off'}` : `no network ${p.name}` }];
      },
    },
  }),
  plan: (p, f, ctx) => (f.all.missingVirsh ? assumeVirsh(ctx, `network ${p.name}`) : planNetwork(p, f.all)),
};
