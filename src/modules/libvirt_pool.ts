/**
 * libvirt_pool: a libvirt storage pool (dir, fs, netfs) with the same name on every KVM host.
 * Facts: pool-info + pool-dumpxml --inactive + the target directory, in one round trip.
 * Compared structurally (virt/domxml.ts subsetDiff): libvirt's expansions (uuid, capacity,
 * permissions) are not differences. An active pool that needs a new definition is redefined
 * in place (libvirt applies it at the next start): it is never stopped behind running guests.
 */
import { q } from '../util/quote.js';
import type { Module, Plan, Step } from '../engine/module/types.js';
import { bool, object, str, strEnum, type Static } from '../engine/module/schema.js';
import { subsetDiff } from './virt/domxml.js';
import { assumeVirsh } from './virt/virsh.js';
import { XmlDoc } from './virt/xml.js';
import { defineExplain, poolChecks } from './virt/explain.js';
import { parseInfo, virshError, virshMissing } from '../facts/virsh.js';
import { sectionScript, sectionsOf, type Section } from '../facts/sections.js';

export type PoolParams = Static<typeof schema>;

export interface PoolFacts {
  /** virsh is not installed (yet) */
  missingVirsh?: boolean;
  info: { exists: boolean; state?: string; autostart?: boolean };
  xml?: string;
  targetExists: boolean;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');
}

/** The pool XML kvplay defines for these parameters. */
export function poolXml(p: PoolParams): string {
  const type = p.type ?? 'dir';
  let source = '';
  if (type === 'netfs') {
    if (!p.source_host || !p.source_path) throw new Error('type netfs needs source_host and source_path');
    source = `  <source>\n    <host name='${esc(p.source_host)}'/>\n    <dir path='${esc(p.source_path)}'/>\n    <format type='${esc(p.source_format ?? 'nfs')}'/>\n  </source>\n`;
  } else if (type === 'fs') {
    if (!p.source_path) throw new Error('type fs needs source_path (the block device)');
    source = `  <source>\n    <device path='${esc(p.source_path)}'/>\n    <format type='${esc(p.source_format ?? 'auto')}'/>\n  </source>\n`;
  } else if (p.source_host || p.source_path) {
    throw new Error('type dir takes no source_host/source_path (the target directory is the pool)');
  }
  return `<pool type='${type}'>\n  <name>${esc(p.name)}</name>\n${source}  <target>\n    <path>${esc(p.target)}</path>\n  </target>\n</pool>\n`;
}

/** Step: write XML to a temp file on the host and `virsh KIND-define` it. */
export function defineStep(kind: 'pool' | 'domain', xml: string, desc: string): Step {
  const cmd = kind === 'pool' ? 'pool-define' : 'define';
  return {
    desc,
    cmd: `t=$(mktemp /tmp/kvplay-${kind}-XXXXXX.xml) || exit 1\ncat > "$t"\nvirsh ${cmd} "$t"; rc=$?\nrm -f "$t"\nexit $rc`,
    stdin: xml,
    explain: defineExplain(kind, xml),
  };
}

export function parsePoolFacts(s: Record<string, Section>): PoolFacts {
  if (virshMissing(s)) return { missingVirsh: true, info: { exists: false }, targetExists: false };
  const info = parseInfo(s.info ?? { out: '', rc: -1 });
  let xml: string | undefined;
  if (info.exists) {
    if (s.xml?.rc !== 0) throw new Error(`virsh pool-dumpxml: ${virshError(s.xml?.out ?? '')}`);
    xml = s.xml.out;
  }
  return { info, ...(xml !== undefined ? { xml } : {}), targetExists: s.target?.rc === 0 };
}

export function planPool(p: PoolParams, f: PoolFacts): Plan {
  const state = p.state ?? 'active';
  const n = q(p.name);
  const result = { name: p.name, state };
  if (state === 'absent') {
    if (!f.info.exists) return { kind: 'ok', reason: `pool ${p.name}: absent`, result };
    const steps: Step[] = [];
    if (f.info.state === 'running') steps.push({ desc: `stop pool ${p.name}`, cmd: `virsh pool-destroy ${n}` });
    steps.push({ desc: `undefine pool ${p.name}`, cmd: `virsh pool-undefine ${n}` });
    return { kind: 'change', reason: `pool ${p.name}: ${f.info.state === 'running' ? 'stopped and ' : ''}undefined (its files are kept)`, steps, result };
  }
  const want = poolXml(p);
  const steps: Step[] = [];
  const why: string[] = [];
  if (!f.info.exists) {
    steps.push(defineStep('pool', want, `define pool ${p.name}`));
    why.push(`defined (${p.type ?? 'dir'}, target ${p.target})`);
  } else {
    const cur = XmlDoc.parse(f.xml!, `pool ${p.name} XML`).root;
    const diffs = subsetDiff(XmlDoc.parse(want, 'wanted pool XML').root, cur, '/pool');
    if (diffs.length) {
      const uuid = cur.child('uuid')?.text();
      const withUuid = uuid ? want.replace('</name>\n', `</name>\n  <uuid>${esc(uuid)}</uuid>\n`) : want;
      steps.push(defineStep('pool', withUuid, `redefine pool ${p.name}`));
      why.push(`redefined (${diffs.join('; ')})${f.info.state === 'running' ? ', effective at the next pool start' : ''}`);
    }
  }
  const build = p.build ?? true;
  if (build && !f.targetExists) {
    steps.push({ desc: `build pool ${p.name} (create ${p.target})`, cmd: `virsh pool-build ${n}` });
    why.push(`target ${p.target} created`);
  }
  const running = f.info.state === 'running';
  if (state === 'active' && !running) {
    steps.push({ desc: `start pool ${p.name}`, cmd: `virsh pool-start ${n}` });
    why.push('started');
  }
  if (p.autostart !== undefined && (f.info.autostart ?? false) !== p.autostart) {
    steps.push({ desc: `pool ${p.name} autostart ${p.autostart ? 'on' : 'off'}`, cmd: `virsh pool-autostart ${n}${p.autostart ? '' : ' --disable'}` });
    why.push(`autostart ${p.autostart ? 'on' : 'off'}`);
  }
  if (!steps.length) {
    return { kind: 'ok', reason: `pool ${p.name}: ${p.type ?? 'dir'} at ${p.target}, ${running ? 'active' : 'inactive'}${f.info.autostart ? ', autostart' : ''}`, result };
  }
  return { kind: 'change', reason: `pool ${p.name}: ${why.join(', ')}`, steps, result };
}

const schema = object(
  {
    name: str('Pool name; use the SAME name on every KVM host (migration needs it).'),
    type: strEnum(['dir', 'fs', 'netfs'], 'dir (a directory, e.g. an already mounted share), fs (a block device libvirt mounts), netfs (an NFS export libvirt mounts). Default dir.'),
    source_host: str('netfs: the NFS server.'),
    source_path: str('netfs: the exported directory (e.g. /nfsshare); fs: the block device.'),
    source_format: str('netfs: nfs (default), cifs, glusterfs; fs: auto (default), ext4, xfs...'),
    target: str('Where the pool lives on the host (e.g. /kvm/disk): the same path on every KVM host.'),
    state: strEnum(['defined', 'active', 'absent'], 'active (defined and started, default), defined (defined; started or not as it is), absent (stopped and undefined; files are kept).'),
    autostart: bool('Start the pool when libvirtd starts.'),
    build: bool('Run virsh pool-build when the target directory is missing (default true).'),
  },
  { required: ['name', 'target'] },
);

export const libvirt_pool: Module<PoolParams, { all: PoolFacts }> = {
  name: 'libvirt_pool',
  doc: 'A libvirt storage pool (dir, fs, netfs): defined/active/absent, autostart; compared structurally, so re-running is ok.',
  schema,
  facts: (p) => ({
    all: {
      cmd: sectionScript([
        ['info', `virsh pool-info ${q(p.name)}`],
        ['xml', `virsh pool-dumpxml --inactive ${q(p.name)}`],
        ['target', `test -d ${q(p.target)}`],
      ], { mode: 'parallel' }), // two virsh calls (each its own libvirtd connection) at once
      parse: (r) => parsePoolFacts(sectionsOf(r, 'libvirt_pool facts')),
      explain: (f) => poolChecks(p.name, p.target, f as PoolFacts),
    },
  }),
  plan: (p, f, ctx) => (f.all.missingVirsh ? assumeVirsh(ctx, `pool ${p.name}`) : planPool(p, f.all)),
};
