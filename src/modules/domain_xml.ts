/**
 * domain_xml: structured edits of a guest's PERSISTENT XML (`virsh dumpxml --inactive`),
 * through a real XML parser (virt/xml.ts): interface -> bridge, MAC dropped once, disk cache,
 * generic XPath edits (virt/edits.ts).
 *
 * Plan: edit the inactive XML in memory; nothing changed -> ok. Otherwise: back up the
 * original XML on the host (backup_dir/NAME.TIMESTAMP.xml), `virsh define` the edited one.
 * Restart: the same edits are applied to the RUNNING XML; when they would change it, the
 * running guest does not have the new configuration yet. It is restarted only if the task
 * allows it (restart: true; graceful shutdown then start, or destroy then start like the
 * manual procedure); otherwise the result says restart_needed.
 */
import { q } from '../util/quote.js';
import type { Module, ModuleCtx, Plan, Step } from '../engine/module/types.js';
import { backupFileFrom } from './lib/fileops.js';
import { arrayOf, bool, num, object, str, strEnum, type Static, typed } from '../engine/module/schema.js';
import { defineStep } from './libvirt_pool.js';
import { domainXmlChecks, restartExplain, xmlBackupExplain } from './virt/explain.js';
import { applyEdits, type Edits } from './virt/edits.js';
import { restartScript } from './virt/ops.js';
import { assumeVirsh } from './virt/virsh.js';
import { XmlDoc } from './virt/xml.js';
import { parseDomstate, virshError, virshMissing, type DomState } from '../facts/virsh.js';
import { sectionScript, sectionsOf, type Section } from '../facts/sections.js';

export type DomainXmlParams = Static<typeof schema>;

export interface DomainXmlFacts {
  missingVirsh?: boolean;
  state: DomState | null;
  inactive?: string;
  live?: string;
}

export const DEFAULT_BACKUP_DIR = '/var/lib/kvplay/libvirt-backups';

export function parseDomainXmlFacts(s: Record<string, Section>, name: string): DomainXmlFacts {
  if (virshMissing(s)) return { missingVirsh: true, state: null };
  const state = parseDomstate(s.state ?? { out: '', rc: -1 }, name);
  if (state === null) return { state };
  if (s.inactive?.rc !== 0) throw new Error(`virsh dumpxml --inactive ${name}: ${virshError(s.inactive?.out ?? '')}`);
  const live = state !== 'shut off' && s.live?.rc === 0 ? s.live.out : undefined;
  return { state, inactive: s.inactive.out, ...(live ? { live } : {}) };
}

export function editsOf(p: DomainXmlParams): Edits {
  return {
    ...(p.bridge !== undefined ? { interface: { bridge: p.bridge, select: p.interface, ...(p.model ? { model: p.model } : {}) } } : {}),
    ...(p.drop_mac ? { drop_mac: true } : {}),
    ...(p.disk_cache !== undefined ? { disk_cache: { cache: p.disk_cache, ...(p.disk_target ? { target: p.disk_target } : {}) } } : {}),
    // values of generic edits may come from YAML as numbers/booleans
    ...(p.edits?.length ? { edits: p.edits.map(({ value, ...e }) => ({ ...e, ...(value !== undefined ? { value: String(value) } : {}) })) } : {}),
  };
}

export function backupStep(dir: string, name: string, xml: string): Step {
  return {
    desc: `back up the XML of ${name} to ${dir}`,
    cmd: `set -e\nd=${q(dir)}\nmkdir -p "$d"\nchmod 700 "$d"\nf="$d/"${q(name)}".$(date +%Y%m%dT%H%M%S).xml"\ncat > "$f"\nprintf 'backup_file=%s\\n' "$f"`,
    stdin: xml,
    explain: xmlBackupExplain(dir, name),
  };
}

export function planDomainXml(p: DomainXmlParams, f: DomainXmlFacts, ctx: Pick<ModuleCtx, 'diff'>): Plan {
  const name = p.name;
  if (f.state === null) throw new Error(`domain ${name} is not defined on this host`);
  const edits = editsOf(p);
  if (!Object.keys(edits).length) throw new Error('nothing to edit: give bridge, drop_mac, disk_cache or edits');
  const doc = XmlDoc.parse(f.inactive!, `persistent XML of ${name}`);
  const before = doc.toString();
  const changes = applyEdits(doc, edits);
  const macDropped = changes.some((c) => /MAC removed|marked as done/.test(c));
  let liveChanges: string[] = [];
  if (f.live) liveChanges = applyEdits(XmlDoc.parse(f.live, `running XML of ${name}`), edits, { skipMacDrop: true });
  const running = f.state !== 'shut off';
  const needRestart = running && (liveChanges.length > 0 || changes.some((c) => /MAC removed/.test(c)));
  const steps: Step[] = [];
  const result: Record<string, unknown> = { name, changes, restart_needed: false, restarted: false, mac_dropped: macDropped };
  if (changes.length) {
    steps.push(backupStep(p.backup_dir ?? DEFAULT_BACKUP_DIR, name, f.inactive!));
    steps.push(defineStep('domain', doc.toString(), `define the edited XML of ${name}`));
  }
  let restartNote = '';
  if (needRestart) {
    if (p.restart) {
      const mode = p.restart_mode ?? 'shutdown';
      steps.push({ desc: `restart ${name} (${mode}, then start)`, cmd: restartScript(name, mode, p.shutdown_timeout ?? 60), explain: restartExplain(name, mode, p.shutdown_timeout ?? 60) });
      result.restarted = true;
      restartNote = `; restarted (${mode} + start) so the running guest uses it`;
    } else {
      result.restart_needed = true;
      restartNote = '; the running guest still uses the old configuration (restart: true to restart it)';
    }
  }
  if (!steps.length) {
    return { kind: 'ok', reason: `domain ${name}: XML as wanted${restartNote}`, result };
  }
  const what = changes.length ? changes.join('; ') : `running configuration differs (${liveChanges.join('; ')})`;
  return {
    kind: 'change',
    reason: `domain ${name}: ${what}${restartNote}`,
    steps,
    ...(ctx.diff && changes.length ? { diff: [{ path: `domain ${name} (persistent XML)`, before: before + '\n', after: doc.toString() + '\n' }] } : {}),
    result,
  };
}

const editSchema = object(
  {
    xpath: str("XPath 1.0 of the element(s) (or an attribute: .../@name), e.g. /domain/devices/disk[@device='disk']/driver."),
    attribute: str('Attribute of the matched element(s) to set (with value) or remove (state absent).'),
    value: typed<string | number | boolean>({ type: ['string', 'number', 'boolean'], description: 'Value of the attribute, or (without attribute) the text of the element.' }),
    state: strEnum(['present', 'absent'], 'present (default): set / create missing simple path steps; absent: remove the element(s) or the attribute.'),
    namespaces: typed<Record<string, string>>({ type: 'object', additionalProperties: { type: 'string' }, description: 'Prefix -> namespace URI for the XPath.' }),
  },
  { required: ['xpath'] },
);

const schema = object(
  {
    name: str('Domain name.'),
    bridge: str('Set the selected interface(s) to type bridge with <source bridge=THIS/> (e.g. br0).'),
    interface: typed<string | number>({ type: ['string', 'integer'], description: "Which interfaces bridge/drop_mac apply to: 'all' (default), an index (0 = first) or a MAC address." }),
    model: str('Also set the interface model (e.g. virtio).'),
    drop_mac: bool('Delete the <mac> of the interface(s) ONCE, as the manual procedure does (libvirt generates a new one); a marker in <metadata> keeps later runs from dropping it again. Default false: keep the MAC.', false),
    disk_cache: strEnum(['none', 'writethrough', 'writeback', 'directsync', 'unsafe', 'default'], 'Cache mode of the disk(s) (driver/@cache).'),
    disk_target: str('Only the disk with this target dev (e.g. vda). Default: every disk of device type disk.'),
    edits: arrayOf(editSchema, 'Generic edits, applied in order.'),
    restart: bool('Allow restarting a running guest when the change needs it (default false: report restart_needed).', false),
    restart_mode: strEnum(['shutdown', 'destroy'], 'shutdown (default: graceful, forced after shutdown_timeout) or destroy (forced off at once, as the manual procedure does), then start.'),
    shutdown_timeout: num('Seconds to wait for a graceful shutdown before forcing it (default 60).', { minimum: 0 }),
    backup_dir: str(`Where the original XML is saved on the host before each define (default ${DEFAULT_BACKUP_DIR}).`),
  },
  { required: ['name'] },
);

export const domain_xml: Module<DomainXmlParams, { all: DomainXmlFacts }> = {
  name: 'domain_xml',
  doc: "Structured edits of a guest's persistent XML (interface to bridge, MAC dropped once, disk cache, XPath edits); backs up the original, restarts only when needed and allowed.",
  schema,
  facts: (p) => ({
    all: {
      cmd: sectionScript([
        ['state', `virsh domstate ${q(p.name)}`],
        ['inactive', `virsh dumpxml --inactive ${q(p.name)}`],
        ['live', `virsh dumpxml ${q(p.name)}`],
      ]),
      parse: (r) => parseDomainXmlFacts(sectionsOf(r, 'domain_xml facts'), p.name),
      explain: (f) => domainXmlChecks(p.name, f as DomainXmlFacts),
    },
  }),
  plan: (p, f, ctx) => (f.all.missingVirsh ? assumeVirsh(ctx, `domain ${p.name}`) : planDomainXml(p, f.all, ctx)),
  result: (_p, _f, results) => {
    const b = backupFileFrom(results);
    return b ? { backup_file: b } : {};
  },
};

