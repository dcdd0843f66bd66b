/**
 * --explain for the firewalld module: what its facts asked, as the firewall-cmd commands a student
 * would type. Over D-Bus kvplay reads the whole zone (getSettings2 / getZoneSettings2): that means
 * `firewall-cmd [--permanent] --zone=Z --list-services` (or ports, sources, interfaces). Without
 * D-Bus it asks firewall-cmd (or firewall-offline-cmd) `--query-...` directly.
 */
import { q } from '../../util/quote.js';
import type { ExplainCheck } from '../../engine/module/types.js';
import { yn } from '../util/explain.js';
import { zoneHas, type ZoneFact, type ZoneLists } from '../../facts/firewalld.js';
import { itemOf, type FirewalldParams, type FwFacts } from '../firewalld.js';

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
