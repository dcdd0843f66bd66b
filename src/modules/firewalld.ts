/**
 * firewalld: allow/deny one service, port, source, interface or rich rule in a zone.
 * The runtime and the permanent configuration are queried and planned separately (no
 * ALREADY_ENABLED errors); with the daemon stopped the permanent part goes through
 * firewall-offline-cmd. Only the one item asked for is ever added.
 */
import { q } from '../util/quote.js';
import type { ExplainCheck, Module, ModuleCtx, Plan, Step } from '../engine/module/types.js';
import { bool, int, object, str, strEnum, type Static } from '../engine/module/schema.js';
import { okOut, parseSections, PROBES, sectionScript, sectionTexts } from '../facts/sections.js';
import { FW_DBUS_PROBE, parseZoneFact, zoneFactCmd, zoneHas, type ZoneFact, type ZoneLists } from '../facts/firewalld.js';
import { yn } from '../engine/module/explain.js';

export type FirewalldParams = Static<typeof schema>;

export interface FwFacts {
  installed: boolean;
  offlineCmd: boolean;
  running: boolean;
  zone: string;
  zoneExists: boolean;
  /** undefined: not queried (daemon stopped) */
  runtime?: boolean;
  permanent?: boolean;
}

const KINDS = ['service', 'port', 'source', 'interface', 'rich_rule'] as const;
type Kind = (typeof KINDS)[number];

export function itemOf(p: FirewalldParams): { kind: Kind; flag: string; value: string } {
  const given = KINDS.filter((k) => p[k] !== undefined);
  if (given.length !== 1) throw new Error(`give exactly one of ${KINDS.join(', ')} (got ${given.length ? given.join(', ') : 'none'})`);
  const kind = given[0];
  const value = String(p[kind]).trim();
  if (kind === 'port' && !/^\d{1,5}(-\d{1,5})?\/(tcp|udp|sctp|dccp)$/.test(value)) throw new Error(`port '${value}' must look like 2049/tcp or 6000-6010/udp`);
  if (kind === 'service' && !/^[A-Za-z0-9_.+-]+$/.test(value)) throw new Error(`invalid firewalld service name '${value}'`);
  const flag = kind === 'rich_rule' ? 'rich-rule' : kind;
  return { kind, flag, value };
}

/** One script: installed? running? zone, runtime query, permanent query. */
export function fwFactCmd(p: FirewalldParams): string {
  const { flag, value } = itemOf(p);
  const z = p.zone ? q(p.zone) : '';
  const query = `--query-${flag}=${q(value)}`;
  // b: the zone fact (src/facts/firewalld.ts) already answers over D-Bus (except for rich rules): nothing else runs
  const g = '[ $b = no ] && [ $t = yes ] &&';
  return sectionScript([
    ['dbus', 'echo $b'],
    ['installed', '[ $b = no ] && command -v firewall-cmd >/dev/null 2>&1 && echo yes'],
    ['offline', '[ $b = no ] && command -v firewall-offline-cmd >/dev/null 2>&1 && echo yes'],
    ['running', '[ $b = no ] && echo $r'],
    ['zone', `${g} printf '%s\\n' "$z"`],
    ['zones', `${g} $c --get-zones 2>/dev/null`],
    ['perm', `${g} { $c --zone="$z" ${query} >/dev/null 2>&1 && echo yes || echo no; }`],
    ['rt', `${g} [ $r = yes ] && { firewall-cmd --zone="$z" ${query} >/dev/null 2>&1 && echo yes || echo no; }`],
  ], {
    ...PROBES,
    prelude: [
      `b=no; ${flag === 'rich-rule' ? '' : `if ${FW_DBUS_PROBE}; then b=yes; fi`}`,
      'r=no; t=no; z=',
      'if [ $b = no ]; then',
      '  command -v firewall-cmd >/dev/null 2>&1 && firewall-cmd --state >/dev/null 2>&1 && r=yes',
      '  if [ $r = yes ]; then c="firewall-cmd --permanent"; dz="firewall-cmd --get-default-zone"; else c=firewall-offline-cmd; dz="firewall-offline-cmd --get-default-zone"; fi',
      '  if command -v firewall-cmd >/dev/null 2>&1 || command -v firewall-offline-cmd >/dev/null 2>&1; then',
      `    t=yes; z=${z || '$($dz 2>/dev/null)'}`,
      '  fi',
      'fi',
    ].join('\n'),
  });
}

export function parseFwFacts(out: string): FwFacts {
  const sec = parseSections(out);
  const s = sectionTexts(out);
  const yes = (k: string) => (s[k] ?? '').trim() === 'yes';
  const zone = (s.zone ?? '').trim();
  // zone names are names of root-owned files and never hold whitespace: a zone that does is simply not found
  const zones = (s.zones ?? '').split(/\s+/).filter(Boolean);
  return {
    installed: yes('installed') || yes('offline'),
    offlineCmd: yes('offline'),
    running: yes('running'),
    zone,
    zoneExists: zones.includes(zone),
    ...(okOut(sec.perm) !== undefined ? { permanent: yes('perm') } : {}),
    ...(okOut(sec.rt) !== undefined ? { runtime: yes('rt') } : {}),
  };
}

/** The item's facts: from the zone's D-Bus settings when firewalld answers there, else from firewall-cmd. */
export function itemFacts(p: FirewalldParams, z: ZoneFact, cli: FwFacts): FwFacts {
  const { kind, value } = itemOf(p);
  if (!z.dbus || kind === 'rich_rule') return cli;
  return {
    installed: true,
    offlineCmd: false,
    running: true,
    zone: z.zone,
    zoneExists: z.zones.includes(z.zone),
    permanent: !!z.perm && zoneHas(z.perm, kind, value),
    runtime: !!z.rt && zoneHas(z.rt, kind, value),
  };
}

/** Pure planning. */
export function planFirewalld(p: FirewalldParams, f: FwFacts, ctx: Pick<ModuleCtx, 'check'>): Plan {
  const { kind, flag, value } = itemOf(p);
  const enable = p.state === 'enabled' || p.state === 'present';
  const wantPerm = p.permanent === true;
  const wantRt = p.permanent !== true || p.immediate === true;
  const what = `${kind.replace('_', ' ')} ${value}`;
  const assume = (why: string): Plan => {
    if (!ctx.check) throw new Error(why);
    return { kind: 'change', reason: `${what}: ${enable ? 'enabled' : 'disabled'} (check mode: ${why}; assuming an earlier task takes care of it)`, steps: [] };
  };
  if (!f.installed) return assume('firewalld is not installed (no firewall-cmd)');
  if (!f.zone) return assume('cannot read the default zone');
  if (!f.zoneExists) return assume(`zone '${f.zone}' does not exist`);
  const zone = q(f.zone);
  const verb = enable ? 'add' : 'remove';
  const arg = `--${verb}-${flag}=${q(value)}`;
  const timeout = p.timeout ? ` --timeout=${Math.floor(p.timeout)}` : '';
  const steps: Step[] = [];
  const done: string[] = [];
  const notes: string[] = [];
  if (wantPerm) {
    if (f.permanent !== enable) {
      const cmd = f.running ? `firewall-cmd --permanent --zone=${zone} ${arg}` : `firewall-offline-cmd --zone=${zone} ${arg}`;
      if (!f.running && !f.offlineCmd) throw new Error('firewalld is not running and firewall-offline-cmd is missing: cannot change the permanent configuration');
      steps.push({ desc: `${verb} ${what} (permanent, zone ${f.zone})`, cmd });
      done.push('permanent');
    }
  }
  if (wantRt) {
    if (!f.running) {
      if (!wantPerm) return assume('firewalld is not running: the runtime configuration cannot be changed');
      notes.push('runtime: firewalld not running, the permanent setting applies when it starts');
    } else if (f.runtime !== enable) {
      steps.push({ desc: `${verb} ${what} (runtime, zone ${f.zone})`, cmd: `firewall-cmd --zone=${zone} ${arg}${timeout}` });
      done.push('runtime');
    }
  }
  const result = { zone: f.zone, running: f.running };
  const noteText = notes.length ? ` (${notes.join('; ')})` : '';
  if (!steps.length) return { kind: 'ok', reason: `${what}: already ${enable ? 'enabled' : 'disabled'} in zone ${f.zone}${noteText}`, result };
  const state = (b: boolean | undefined) => (b === undefined ? 'n/a' : b ? 'enabled' : 'disabled');
  return {
    kind: 'change',
    reason: `${what}: ${enable ? 'enabled' : 'disabled'} in zone ${f.zone} (${done.join(' + ')})${noteText}`,
    steps,
    diff: [{ path: `firewalld zone ${f.zone}: ${what}`, before: `permanent: ${state(f.permanent)}\nruntime: ${state(f.runtime)}\n`, after: `permanent: ${wantPerm ? state(enable) : state(f.permanent)}\nruntime: ${wantRt && f.running ? state(enable) : state(f.runtime)}\n` }],
    result,
  };
}

const schema = object(
  {
    service: str('A firewalld service name (firewall-cmd --get-services), e.g. nfs, mountd, rpc-bind.'),
    port: str('A port or range with protocol: 2049/tcp, 6000-6010/udp.'),
    source: str('A source address or network (CIDR) bound to the zone.'),
    interface: str('An interface bound to the zone.'),
    rich_rule: str('A rich rule, e.g. rule family=ipv4 source address=10.0.0.0/24 service name=nfs accept.'),
    zone: str('Zone to change (default: the default zone).'),
    permanent: bool('Change the permanent configuration (firewall-offline-cmd when the daemon is stopped). Without it only the runtime changes.'),
    immediate: bool('With permanent: true, change the running firewall too.', false),
    state: strEnum(['enabled', 'disabled', 'present', 'absent'], 'enabled (present) or disabled (absent).'),
    offline: bool('Accepted for compatibility: the permanent part works offline automatically.'),
    timeout: int('Runtime only: remove the runtime setting after this many seconds.', { minimum: 0 }),
  },
  {
    required: ['state'],
    anyOf: KINDS.map((k) => ({ required: [k] })),
  },
);

export const firewalld: Module<FirewalldParams, { zone: ZoneFact; fw: FwFacts }> = {
  name: 'firewalld',
  doc: 'Enable or disable one firewalld service, port, source, interface or rich rule in a zone, permanent and/or runtime.',
  notes: `One item (service, port, source, interface or rich rule) per task. Facts: \`firewall-cmd --state\`, the zone (default zone unless given), \`--query-…\` of the runtime and of the permanent configuration (\`firewall-offline-cmd\` when the daemon is stopped). Both are planned separately: only the missing half is added, so there is never an ALREADY_ENABLED error, and only the given item is ever added (ports must look like \`2049/tcp\`). \`permanent: true\` without \`immediate\` leaves the runtime alone; without \`permanent\` only the runtime changes (which needs the daemon running). Alias \`ansible.posix.firewalld\`.`,
  examples: `- firewalld: {service: "{{ item }}", permanent: true, immediate: true, state: enabled}
  loop: [rpc-bind, nfs, mountd]
`,
  schema,
  facts: (p) => ({
    zone: { cmd: zoneFactCmd(p.zone), parse: (r) => parseZoneFact(r.stdout), cache: true },
    // the firewall-cmd facts: not needed when the cached zone fact shows firewalld on D-Bus (rich rules aside)
    fw: { cmd: fwFactCmd(p), parse: (r) => parseFwFacts(r.stdout), skipIfCached: (c) => (c.zone as ZoneFact | undefined)?.dbus === true && itemOf(p).kind !== 'rich_rule' },
  }),
  plan: (p, f, ctx) => planFirewalld(p, itemFacts(p, f.zone, f.fw), ctx),
  explain: (p, f) => explainFirewalld(p, f),
};

/*
 * --explain: what the facts asked, as the firewall-cmd commands a student would type. Over D-Bus
 * kvplay reads the whole zone (getSettings2 / getZoneSettings2): that means
 * `firewall-cmd [--permanent] --zone=Z --list-services` (or ports, sources, interfaces). Without
 * D-Bus it asks firewall-cmd (or firewall-offline-cmd) `--query-...` directly.
 */
type ListKind = 'service' | 'port' | 'source' | 'interface';

function listed(l: ZoneLists, kind: ListKind): string[] {
  if (kind === 'service') return l.services;
  if (kind === 'port') return l.ports.map(([p, proto]) => `${p}/${proto}`);
  return kind === 'source' ? l.sources : l.interfaces;
}

function foundIn(l: ZoneLists | undefined, zone: string, kind: ListKind, value: string): string {
  if (!l) return `no zone ${zone} here`;
  const all = listed(l, kind);
  return `${all.length ? all.join(' ') : '(none)'} (${value} ${zoneHas(l, kind, value) ? 'is among them' : 'is not'})`;
}

export function explainFirewalld(p: FirewalldParams, f: { zone: ZoneFact; fw: FwFacts }): ExplainCheck[] {
  const { kind, flag, value } = itemOf(p);
  const out: ExplainCheck[] = [];
  const z = f.zone;
  if (z.dbus && kind !== 'rich_rule') {
    // the D-Bus read, as what it means
    if (p.zone === undefined) out.push({ cmd: 'firewall-cmd --get-default-zone', found: z.zone || '(none)' });
    const zq = q(z.zone);
    const list = `--list-${kind === 'port' ? 'ports' : `${kind}s`}`;
    out.push({ cmd: `firewall-cmd --permanent --zone=${zq} ${list}`, found: foundIn(z.perm, z.zone, kind, value) });
    out.push({ cmd: `firewall-cmd --zone=${zq} ${list}`, found: foundIn(z.rt, z.zone, kind, value) });
    return out;
  }
  const fw = f.fw;
  if (!fw.installed) return [{ cmd: 'command -v firewall-cmd firewall-offline-cmd', found: 'neither: firewalld is not installed' }];
  out.push({ cmd: 'firewall-cmd --state', found: fw.running ? 'running' : 'not running' });
  if (p.zone === undefined) out.push({ cmd: `${fw.running ? 'firewall-cmd' : 'firewall-offline-cmd'} --get-default-zone`, found: fw.zone || '(none)' });
  if (fw.zone && !fw.zoneExists) out.push({ cmd: `${fw.running ? 'firewall-cmd --permanent' : 'firewall-offline-cmd'} --get-zones`, found: `no zone ${fw.zone}` });
  const zq = q(fw.zone);
  const query = `--query-${flag}=${q(value)}`;
  if (fw.permanent !== undefined) out.push({ cmd: fw.running ? `firewall-cmd --permanent --zone=${zq} ${query}` : `firewall-offline-cmd --zone=${zq} ${query}`, found: yn(fw.permanent) });
  if (fw.runtime !== undefined) out.push({ cmd: `firewall-cmd --zone=${zq} ${query}`, found: yn(fw.runtime) });
  return out;
}
