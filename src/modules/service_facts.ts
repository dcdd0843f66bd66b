/**
 * service_facts: ansible_facts.services in Ansible's shape ({name, state, status?, source}), from
 * one script: SysV `service --status-all` (where there is no chkconfig/openrc) and, where systemd
 * is PID 1, `systemctl list-units` + `list-unit-files` (+ `show -p ActiveState` of the unit files
 * list-units does not list), parsed as Ansible's service_facts parses them.
 */
import { parseSections, PROBES, sectionScript, sectionTexts } from '../facts/sections.js';
import type { Module, Plan } from '../engine/module/types.js';
import { object, type Static } from '../engine/module/schema.js';

export interface ServiceInfo {
  name: string;
  state: string;
  status?: string;
  source: 'sysv' | 'systemd';
}

export const SERVICE_FACTS_CMD = sectionScript([
  // which sources answer: sysv, systemd (one a line)
  ['mgrs', '[ $sv = yes ] && echo sysv; [ $sd = yes ] && echo systemd; :'],
  // the section's exit code is service's
  ['sysv', '[ $sv = yes ] && service --status-all 2>/dev/null'],
  ['initd', '[ -e /etc/init.d ] && echo initd'],
  ['units', 'if [ $sd = yes ]; then units=$(systemctl list-units --no-pager --type service --all 2>/dev/null); printf \'%s\\n\' "$units"; fi'],
  ['files', 'if [ $sd = yes ]; then files=$(systemctl list-unit-files --no-pager --type service --all 2>/dev/null); printf \'%s\\n\' "$files"; fi'],
  // the unit files list-units does not list: their ActiveState (Ansible asks for each)
  ['states', [
    'if [ $sd = yes ]; then',
    'listed=$(printf \'%s\\n\' "$units" | awk \'{for (i = 1; i <= NF; i++) if ($i ~ /\\.service$/) { print $i; break }}\')',
    'printf \'%s\\n\' "$files" | while read -r n rest; do case "$n" in *.service) printf \'%s\\n\' "$listed" | grep -qxF -- "$n" && continue; if o=$(systemctl show "$n" --property=ActiveState 2>/dev/null) && [ -n "$o" ]; then printf \'%s\\t%s\\n\' "$n" "${o#ActiveState=}"; else printf \'%s\\t\\n\' "$n"; fi;; esac; done',
    'fi',
  ].join('\n')],
], {
  ...PROBES,
  prelude: [
    'has() { command -v "$1" >/dev/null 2>&1; }',
    'sv=no; if has service && ! has chkconfig && ! has rc-status; then sv=yes; fi',
    'sd=no; if grep -q systemd /proc/1/comm 2>/dev/null && has systemctl; then sd=yes; fi',
    "units=; files=",
  ].join('\n'),
});

const BAD_STATES = ['not-found', 'masked', 'failed'];

/** Pure: the services table (null-prototype, insertion-ordered as Ansible's dict) and warnings. */
export function parseServiceFacts(out: string): { services: Record<string, ServiceInfo>; warnings: string[] } {
  const sec = parseSections(out);
  const s = sectionTexts(out);
  const mgrs = (s.mgrs ?? '').split('\n');
  const services: Record<string, ServiceInfo> = Object.create(null);
  const warnings: string[] = [];
  if (mgrs.includes('sysv')) {
    const rc = String(sec.sysv?.rc ?? 0);
    if (!(rc === '4' && (s.initd ?? '').trim() !== 'initd')) {
      if (rc !== '0') warnings.push(`Unable to query 'service' tool (${rc}): `);
      for (const m of s.sysv.matchAll(/^\s*\[ (\+|-) \]\s+(.+)$/gm)) services[m[2]] = { name: m[2], state: m[1] === '+' ? 'running' : 'stopped', source: 'sysv' };
    }
  }
  if (mgrs.includes('systemd')) {
    for (const line of s.units.split('\n').filter((l) => l.includes('.service'))) {
      let fields = line.trim().split(/\s+/);
      let status = 'unknown';
      const bad = BAD_STATES.find((b) => fields.includes(b));
      if (bad) {
        status = bad;
        fields = fields.slice(1);
      } else status = fields[2] ?? 'unknown';
      const name = fields[0];
      services[name] = { name, state: fields[3] === 'running' ? 'running' : 'stopped', status, source: 'systemd' };
    }
    const states = new Map<string, string>();
    for (const line of (s.states ?? '').split('\n')) {
      const i = line.indexOf('\t');
      if (i > 0) states.set(line.slice(0, i), line.slice(i + 1).trimEnd() || 'unknown');
    }
    for (const line of (s.files ?? '').split('\n').filter((l) => l.includes('.service'))) {
      const [name, status] = line.trim().split(/\s+/);
      if (!name || status === undefined) throw new Error(`Malformed output discovered from systemd list-unit-files: ${line}`);
      const cur = services[name];
      if (!cur) services[name] = { name, state: states.get(name) ?? 'unknown', status, source: 'systemd' };
      else if (!BAD_STATES.includes(cur.status ?? '')) cur.status = status;
    }
  }
  return { services, warnings };
}

export function planServiceFacts(f: { services: Record<string, ServiceInfo>; warnings: string[] }): Plan {
  const n = Object.keys(f.services).length;
  if (!n) return { kind: 'ok', reason: 'no services found', result: { skipped: true, msg: 'Failed to find any services. This can be due to privileges or some other configuration issue.' } };
  return { kind: 'ok', reason: `${n} services`, result: { ansible_facts: { services: f.services }, ...(f.warnings.length ? { warnings: f.warnings } : {}) } };
}

const schema = object({});

export const service_facts: Module<Static<typeof schema>, { s: ReturnType<typeof parseServiceFacts> }> = {
  name: 'service_facts',
  reasonIsMsg: false,
  doc: "Ansible's service_facts: ansible_facts.services, every service with its state, status and source (systemd units, SysV scripts).",
  schema,
  facts: () => ({ s: { cmd: SERVICE_FACTS_CMD, parse: (r) => parseServiceFacts(r.stdout), explain: (f) => ({ cmd: 'systemctl list-units --type service --all; service --status-all', found: `${Object.keys((f as ReturnType<typeof parseServiceFacts>).services).length} services` }) } }),
  plan: (_p, f) => planServiceFacts(f.s),
};
