/**
 * service_facts: ansible_facts.services in Ansible's shape ({name, state, status?, source}), from
 * one script: SysV `service --status-all` (where there is no chkconfig/openrc) and, where systemd
 * is PID 1, `systemctl list-units` + `list-unit-files` (+ `show -p ActiveState` of the unit files
 * list-units does not list), parsed as Ansible's service_facts parses them.
 */
import type { Module, Plan } from './types.js';
import { object } from './util/schema.js';

export interface ServiceInfo {
  name: string;
  state: string;
  status?: string;
  source: 'sysv' | 'systemd';
}

export const SERVICE_FACTS_CMD = [
  'LC_ALL=C; export LC_ALL',
  'has() { command -v "$1" >/dev/null 2>&1; }',
  'if has service && ! has chkconfig && ! has rc-status; then',
  '  echo "@@ sysv"; out=$(service --status-all 2>/dev/null); rc=$?; printf \'%s\\n\' "$out"',
  '  echo "@@ sysv-rc"; echo "$rc"; [ -e /etc/init.d ] && echo initd',
  'fi',
  'if grep -q systemd /proc/1/comm 2>/dev/null && has systemctl; then',
  '  units=$(systemctl list-units --no-pager --type service --all 2>/dev/null)',
  '  echo "@@ units"; printf \'%s\\n\' "$units"',
  '  files=$(systemctl list-unit-files --no-pager --type service --all 2>/dev/null)',
  '  echo "@@ files"; printf \'%s\\n\' "$files"',
  // the unit files list-units does not list: their ActiveState (Ansible asks for each)
  '  listed=$(printf \'%s\\n\' "$units" | awk \'{for (i = 1; i <= NF; i++) if ($i ~ /\\.service$/) { print $i; break }}\')',
  '  echo "@@ states"',
  '  printf \'%s\\n\' "$files" | while read -r n rest; do case "$n" in *.service) printf \'%s\\n\' "$listed" | grep -qxF -- "$n" && continue; if o=$(systemctl show "$n" --property=ActiveState 2>/dev/null) && [ -n "$o" ]; then printf \'%s\\t%s\\n\' "$n" "${o#ActiveState=}"; else printf \'%s\\t\\n\' "$n"; fi;; esac; done',
  'fi',
  'echo "@@ end"',
  'exit 0',
].join('\n');

/** Split on `@@ name` lines (the sections hold service names: none holds a newline). */
function sections(out: string): Record<string, string> {
  const res: Record<string, string> = Object.create(null);
  const parts = out.split(/^@@ (\S+)$/m);
  for (let i = 1; i < parts.length; i += 2) if (!(parts[i] in res)) res[parts[i]] = parts[i + 1].replace(/^\n/, '').replace(/\n$/, '');
  return res;
}

const BAD_STATES = ['not-found', 'masked', 'failed'];

/** Pure: the services table (null-prototype, insertion-ordered as Ansible's dict) and warnings. */
export function parseServiceFacts(out: string): { services: Record<string, ServiceInfo>; warnings: string[] } {
  const s = sections(out);
  const services: Record<string, ServiceInfo> = Object.create(null);
  const warnings: string[] = [];
  if (s.sysv !== undefined) {
    const [rc = '0', initd] = (s['sysv-rc'] ?? '').split('\n');
    if (!(rc === '4' && initd !== 'initd')) {
      if (rc !== '0') warnings.push(`Unable to query 'service' tool (${rc}): `);
      for (const m of s.sysv.matchAll(/^\s*\[ (\+|-) \]\s+(.+)$/gm)) services[m[2]] = { name: m[2], state: m[1] === '+' ? 'running' : 'stopped', source: 'sysv' };
    }
  }
  if (s.units !== undefined) {
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

export const service_facts: Module<Record<string, never>, { s: ReturnType<typeof parseServiceFacts> }> = {
  name: 'service_facts',
  reasonIsMsg: false,
  doc: "Ansible's service_facts: ansible_facts.services, every service with its state, status and source (systemd units, SysV scripts).",
  schema: object({}),
  facts: () => ({ s: { cmd: SERVICE_FACTS_CMD, parse: (r) => parseServiceFacts(r.stdout), explain: (f) => ({ cmd: 'systemctl list-units --type service --all; service --status-all', found: `${Object.keys((f as ReturnType<typeof parseServiceFacts>).services).length} services` }) } }),
  plan: (_p, f) => planServiceFacts(f.s),
};
