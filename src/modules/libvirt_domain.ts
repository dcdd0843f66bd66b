/**
 * libvirt_domain: define a guest from XML (xml:, src: file, template:) and bring it to a state
 * (running, shutoff, destroyed, undefined, defined), with autostart.
 *
 * Idempotence: the wanted XML is compared with libvirt's `dumpxml --inactive` STRUCTURALLY
 * (virt/domxml.ts): libvirt's expansions are not differences, a real change is. With
 * `redefine: false` an existing domain is never redefined (for guests that later tasks edit,
 * e.g. with domain_xml: the first definition is only a starting point).
 * A running guest that gets a new definition keeps running with the old one until its next
 * start (the result says restart_needed); domain_xml can restart it when allowed.
 */
import { readFileSync } from 'node:fs';
import { q } from '../util/quote.js';
import { InputError } from '../util/errors.js';
import type { Module, ModuleCtx, Plan, Step } from '../engine/module/types.js';
import type { Diff } from '../report/events.js';
import { bool, exclusive, num, object, str, strEnum, type Static } from '../engine/module/schema.js';
import { defineStep } from './libvirt_pool.js';
import { domainDiff, parseDomain, withUuid } from './virt/domxml.js';
import { shutdownScript } from './virt/ops.js';
import { domainChecks, shutdownExplain } from './virt/explain.js';
import { assumeVirsh } from './virt/virsh.js';
import { parseDomstate, parseInfo, virshError, virshMissing, type DomState } from '../facts/virsh.js';
import { sectionScript, sectionsOf, type Section } from '../facts/sections.js';

export type DomainWant = 'running' | 'shutoff' | 'destroyed' | 'undefined' | 'defined';

export type DomainParams = Static<typeof schema>;

export interface DomainFacts {
  missingVirsh?: boolean;
  state: DomState | null;
  autostart?: boolean;
  xml?: string;
}

export function parseDomainFacts(s: Record<string, Section>, name: string): DomainFacts {
  if (virshMissing(s)) return { missingVirsh: true, state: null };
  const state = parseDomstate(s.state ?? { out: '', rc: -1 }, name);
  if (state === null) return { state };
  const info = parseInfo(s.info);
  if (s.xml?.rc !== 0) throw new Error(`virsh dumpxml ${name}: ${virshError(s.xml?.out ?? '')}`);
  return { state, autostart: info.autostart, xml: s.xml.out };
}

export function domainFactsCmd(name: string): string {
  const n = q(name);
  return sectionScript([
    ['state', `virsh domstate ${n}`],
    ['info', `virsh dominfo ${n}`],
    ['xml', `virsh dumpxml --inactive ${n}`],
  ]);
}

const ON = new Set<DomState>(['running', 'idle', 'paused', 'in shutdown', 'blocked', 'pmsuspended', 'dying']);

/** What prepare finds on the controller: the guest's name and, when given, its XML (from xml, src or template). */
export interface WantedDomain {
  name: string;
  xml?: string;
}

export function planDomain(p: DomainParams, f: DomainFacts, ctx: Pick<ModuleCtx, 'diff'>, w: WantedDomain): Plan {
  const name = w.name;
  const n = q(name);
  const want = p.state ?? 'running';
  const steps: Step[] = [];
  const why: string[] = [];
  let diff: Diff[] | undefined;
  const result: Record<string, unknown> = { name, state: want };
  if (want === 'undefined') {
    if (f.state === null) return { kind: 'ok', reason: `domain ${name}: not defined`, result };
    if (ON.has(f.state)) steps.push({ desc: `destroy ${name}`, cmd: `virsh destroy ${n}` });
    steps.push({ desc: `undefine ${name}`, cmd: `virsh undefine ${n}` });
    return { kind: 'change', reason: `domain ${name}: ${ON.has(f.state) ? 'destroyed and ' : ''}undefined (disks are kept)`, steps, result };
  }
  let state = f.state;
  let redefinedRunning = false;
  if (state === null) {
    if (!w.xml) throw new Error(`domain ${name} is not defined on this host and no xml/src/template was given`);
    steps.push(defineStep('domain', w.xml, `define ${name}`));
    why.push('defined');
    state = 'shut off';
  } else if (w.xml && p.redefine !== false) {
    const diffs = domainDiff(w.xml, f.xml!);
    if (diffs.length) {
      const xml = withUuid(w.xml, /<uuid>([^<]+)<\/uuid>/.exec(f.xml!)?.[1]);
      steps.push(defineStep('domain', xml, `redefine ${name}`));
      why.push(`redefined (${diffs.slice(0, 6).join('; ')}${diffs.length > 6 ? `; ${diffs.length - 6} more` : ''})`);
      if (ctx.diff) diff = [{ path: `domain ${name} (differences)`, before: diffs.map((d) => d.split(' -> ')[0]).join('\n') + '\n', after: diffs.join('\n') + '\n' }];
      redefinedRunning = ON.has(state);
    }
  }
  const running = ON.has(state);
  if (want === 'running') {
    if (state === 'paused') {
      steps.push({ desc: `resume ${name}`, cmd: `virsh resume ${n}` });
      why.push('resumed');
    } else if (!running) {
      steps.push({ desc: `start ${name}`, cmd: `virsh start ${n}` });
      why.push('started');
    }
  } else if (want === 'shutoff' && running) {
    steps.push({ desc: `shut down ${name}`, cmd: shutdownScript(name, p.shutdown_timeout ?? 60), explain: shutdownExplain(name, p.shutdown_timeout ?? 60) });
    why.push('shut down');
  } else if (want === 'destroyed' && running) {
    steps.push({ desc: `destroy ${name}`, cmd: `virsh destroy ${n}` });
    why.push('destroyed (forced off)');
  }
  if (p.autostart !== undefined && (f.autostart ?? false) !== p.autostart) {
    steps.push({ desc: `autostart ${p.autostart ? 'on' : 'off'}`, cmd: `virsh autostart ${n}${p.autostart ? '' : ' --disable'}` });
    why.push(`autostart ${p.autostart ? 'on' : 'off'}`);
  }
  if (redefinedRunning && want === 'running') {
    result.restart_needed = true;
    why.push('the running guest uses the new definition after its next start');
  }
  if (!steps.length) return { kind: 'ok', reason: `domain ${name}: ${f.state}${f.autostart ? ', autostart' : ''}${w.xml ? (p.redefine === false ? ' (not redefined: redefine false)' : ', definition as wanted') : ''}`, result };
  return { kind: 'change', reason: `domain ${name}: ${why.join(', ')}`, steps, diff, result };
}

function readXml(ctx: ModuleCtx, kind: 'files' | 'templates', path: string): string {
  const file = ctx.findFile(kind, path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new InputError(`cannot read ${path}: ${err.code ?? err.message}`, undefined, `put it in the ${kind}/ directory of the role or next to the playbook`);
  }
  return kind === 'templates' ? ctx.render(text, file) : text;
}

const schema = object(
  {
    name: str('Domain name. Default: the <name> of the XML. Required when no XML is given.'),
    xml: str('The domain XML as text.'),
    src: str("Domain XML file on the controller (role's files/ or next to the playbook)."),
    template: str("Jinja2 template of the domain XML on the controller (role's templates/ or next to the playbook)."),
    state: strEnum(['running', 'shutoff', 'destroyed', 'undefined', 'defined'], 'running (default; paused guests are resumed), shutoff (graceful shutdown, forced after shutdown_timeout), destroyed (forced off), undefined (gone; disks kept), defined (exists, run state untouched).'),
    autostart: bool('Start the guest when libvirtd starts.'),
    redefine: bool('Redefine an existing domain whose definition differs from the XML (default true). false: only define it when missing.'),
    shutdown_timeout: num('state shutoff: seconds to wait for a graceful shutdown before forcing it off (default 60).', { minimum: 0 }),
  },
  { allOf: [exclusive('xml', 'src'), exclusive('xml', 'template'), exclusive('src', 'template')] },
);

export const libvirt_domain: Module<DomainParams, { all: DomainFacts }, WantedDomain> = {
  name: 'libvirt_domain',
  doc: 'Define a libvirt guest from XML (xml/src/template) and set its state and autostart; compares the definition structurally, so re-running is ok.',
  schema,
  prepare(p, ctx) {
    const xml = p.xml ?? (p.src !== undefined ? readXml(ctx, 'files', p.src) : p.template !== undefined ? readXml(ctx, 'templates', p.template) : undefined);
    if (xml === undefined) {
      if (!p.name) throw new InputError('libvirt_domain needs name (or an XML with a <name>)', undefined, 'give name: GUEST or xml/src/template');
      return { name: p.name };
    }
    let info;
    try {
      info = parseDomain(xml, p.src ?? p.template ?? 'xml');
    } catch (e) {
      throw new InputError((e as Error).message, undefined, 'give a libvirt <domain> XML document');
    }
    if (p.name && p.name !== info.name) throw new InputError(`name ${p.name} differs from the XML's <name>${info.name}</name>`, undefined, 'drop name: or make them equal');
    return { name: info.name, xml };
  },
  facts: (_p, _ctx, w) => ({ all: { cmd: domainFactsCmd(w!.name), parse: (r) => parseDomainFacts(sectionsOf(r, 'libvirt_domain facts'), w!.name), explain: (f) => domainChecks(w!.name, f as DomainFacts) } }),
  plan: (p, f, ctx, w) => (f.all.missingVirsh ? assumeVirsh(ctx, `domain ${w!.name}`) : planDomain(p, f.all, ctx, w!)),
};
