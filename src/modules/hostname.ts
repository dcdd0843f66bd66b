/**
 * hostname: Ansible's hostname module for Linux: the systemd strategy (hostnamectl, where systemd
 * manages the host, or `use: systemd`/`debian`) and the Debian family's file strategy (/etc/hostname
 * only, as Ansible's FileStrategy). Results as Ansible: name, ansible_facts (hostname, nodename,
 * fqdn, domain: the fqdn as Python's socket.getfqdn() resolves it on the host).
 */
import { q } from '../util/quote.js';
import type { ExecResult } from '../transport/types.js';
import type { Module, ModuleCtx, Plan, Step } from '../engine/module/types.js';
import { object, str, strEnum, type Static } from '../engine/module/schema.js';
import { PROBES, sectionScript, sectionTexts } from '../facts/sections.js';

export type HostnameParams = Static<typeof schema>;

export interface HostnameFacts {
  systemd: boolean;
  transient: string;
  static: string;
  /** /etc/hostname stripped ('' when missing) */
  file: string;
  osId: string;
  fqdn: string;
}

/** Python's socket.getfqdn() in sh: the name's first address, reversed; the first name with a dot, else the canonical one. */
const FQDN = `fq() { n=$(hostname); a=$(getent ahosts "$n" 2>/dev/null | awk 'NR==1 {print $1}'); if [ -n "$a" ] && l=$(getent hosts "$a"); then set -- $l; shift; c=$1; for x; do case $x in *.*) echo "$x"; return;; esac; done; echo "$c"; else echo "$n"; fi; }`;

export const HOSTNAME_FACT_CMD = sectionScript([
  ['systemd', 'for d in /run/systemd/system/ /dev/.run/systemd/ /dev/.systemd/; do [ -e "$d" ] && { echo yes; break; }; done'],
  ['transient', 'hostnamectl --transient status 2>/dev/null'],
  ['static', 'hostnamectl --static status 2>/dev/null'],
  ['file', '[ -f /etc/hostname ] && cat /etc/hostname'],
  ['os', '. /etc/os-release 2>/dev/null; echo "$ID $ID_LIKE"'],
  ['fqdn', 'fq'],
], { ...PROBES, prelude: FQDN });

export function parseHostnameFacts(out: string): HostnameFacts {
  const s = sectionTexts(out);
  return {
    systemd: (s.systemd ?? '').trim() === 'yes',
    transient: (s.transient ?? '').trim(),
    static: (s.static ?? '').trim(),
    file: (s.file ?? '').trim(),
    osId: (s.os ?? '').trim(),
    fqdn: (s.fqdn ?? '').trim(),
  };
}

const facts = (name: string, fqdn: string) => ({
  ansible_hostname: name.split('.')[0],
  ansible_nodename: name,
  ansible_fqdn: fqdn,
  ansible_domain: fqdn.split('.').slice(1).join('.'),
});

/** Pure planning (Ansible's strategies). */
export function planHostname(p: HostnameParams, f: HostnameFacts, _ctx?: Pick<ModuleCtx, 'check'>): Plan {
  const name = p.name;
  let strategy: 'systemd' | 'file';
  if (p.use === 'systemd' || p.use === 'debian') strategy = 'systemd';
  else if (p.use !== undefined) throw new Error(`use: ${p.use} is not supported by kvplay (systemd, debian)`);
  else if (f.systemd) strategy = 'systemd';
  else if (/\b(debian|ubuntu|kali|parrot|cumulus-linux|kylin)\b/.test(f.osId)) strategy = 'file';
  else throw new Error(`hostname: this host's system (${f.osId || 'unknown'}) without systemd is not supported by kvplay`);
  const current = strategy === 'systemd' ? f.transient : f.file; // FileStrategy: the current name is the permanent one
  const permanent = strategy === 'systemd' ? f.static : f.file;
  const steps: Step[] = [];
  if (strategy === 'systemd') {
    if ((permanent !== name || current !== name) && name.length > 64) throw new Error('name cannot be longer than 64 characters on systemd servers, try a shorter name');
    if (permanent !== name) steps.push({ desc: `hostnamectl --static set-hostname ${name}`, cmd: `hostnamectl --pretty --static set-hostname ${q(name)}` });
    if (current !== name) steps.push({ desc: `hostnamectl --transient set-hostname ${name}`, cmd: `hostnamectl --transient set-hostname ${q(name)}` });
  } else if (permanent !== name) {
    steps.push({ desc: `write /etc/hostname`, cmd: `printf '%s\\n' ${q(name)} > /etc/hostname`, explain: `echo ${q(name)} > /etc/hostname` });
  }
  const result = { name, ansible_facts: facts(name, f.fqdn) };
  if (!steps.length) return { kind: 'ok', reason: `hostname ${name}`, result };
  const before = name !== current ? current : permanent;
  steps.push({ desc: 'read the fqdn back', cmd: `${FQDN}; fq` });
  return { kind: 'change', reason: `hostname ${before} -> ${name}`, steps, result, diff: [{ path: 'hostname', before: `hostname = ${before}\n`, after: `hostname = ${name}\n` }] };
}

const schema = object(
  {
    name: str('The host name.'),
    use: strEnum(['systemd', 'debian', 'alpine', 'freebsd', 'generic', 'macos', 'macosx', 'darwin', 'openbsd', 'openrc', 'redhat', 'sles', 'solaris'], 'The strategy; kvplay does systemd and debian (hostnamectl). Default: from the host.'),
  },
  { required: ['name'] },
);

export const hostname: Module<HostnameParams, { h: HostnameFacts }> = {
  name: 'hostname',
  reasonIsMsg: false,
  doc: "Ansible's hostname: set the host's name (hostnamectl where systemd runs, /etc/hostname on the Debian family); registers the new hostname facts.",
  schema,
  facts: () => ({ h: { cmd: HOSTNAME_FACT_CMD, parse: (r) => parseHostnameFacts(r.stdout), explain: (f) => ({ cmd: 'hostnamectl status; cat /etc/hostname', found: `${(f as HostnameFacts).transient || (f as HostnameFacts).file}` }) } }),
  plan: (p, f) => planHostname(p, f.h),
  result: (p, _f, results: ExecResult[]) => {
    const last = results[results.length - 1];
    return last && last.code === 0 ? { ansible_facts: facts(p.name, last.stdout.trim()) } : {};
  },
};
