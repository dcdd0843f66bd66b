/**
 * firewalld zone state over D-Bus (busctl, no Python start: ~0.1 s instead of ~0.5 s per
 * firewall-cmd call), one call for the whole zone, so a loop over several services of a zone reads
 * it once (the fact is cacheable: see src/modules/types.ts Fact.cache).
 *
 * The script's sections (src/facts/sections.ts): `dbus` (yes when the daemon answers on the bus),
 * `zone` (the zone asked, or the default zone), `zones` (permanent zone names, only when the zone is
 * not found by name), `perm` and `rt` (busctl --json=short of getSettings2 / getZoneSettings2).
 */
import { q } from '../util/quote.js';
import { PROBES, sectionScript, sectionTexts } from './sections.js';

export interface ZoneLists {
  services: string[];
  ports: [string, string][];
  sources: string[];
  interfaces: string[];
}

export interface ZoneFact {
  /** false: firewalld does not answer on D-Bus (stopped, or no busctl): use the firewall-cmd path */
  dbus: boolean;
  zone: string;
  /** the permanent zones' names: listed only when `zone` is not one of them (else just [zone]) */
  zones: string[];
  perm?: ZoneLists;
  rt?: ZoneLists;
}

const BUS = 'busctl --json=short call org.fedoraproject.FirewallD1';
const FW = '/org/fedoraproject/FirewallD1';

/** The D-Bus probe: true when firewalld answers (used by the firewall-cmd fallback to stand down). */
export const FW_DBUS_PROBE = `busctl call org.fedoraproject.FirewallD1 ${FW} org.fedoraproject.FirewallD1 getDefaultZone >/dev/null 2>&1`;

/**
 * One script: the zone's permanent and runtime settings (zone: given, or the default zone). Each
 * busctl call is a D-Bus round trip into firewalld (~20-40 ms on a busy host), so it makes few:
 * with a zone given, its runtime settings double as the probe that firewalld answers (the default
 * zone is asked only when they do not come); the permanent zone names are listed only when the
 * zone is not found by name (to tell that it does not exist).
 */
export function zoneFactCmd(zone?: string): string {
  const dzCall = `busctl call org.fedoraproject.FirewallD1 ${FW} org.fedoraproject.FirewallD1 getDefaultZone 2>/dev/null`;
  const rtCall = `${BUS} ${FW} org.fedoraproject.FirewallD1.zone getZoneSettings2 s "$z" 2>/dev/null`;
  return sectionScript([
    ['dbus', 'echo $ok'],
    ['zone', `[ $ok = yes ] && printf '%s\\n' "$z"`],
    ['perm', `[ $ok = yes ] && [ -n "$p" ] && ${BUS} "$p" org.fedoraproject.FirewallD1.config.zone getSettings2 2>/dev/null`],
    ['zones', `[ $ok = yes ] && [ -z "$p" ] && ${BUS} ${FW}/config org.fedoraproject.FirewallD1.config getZoneNames 2>/dev/null`],
    ['rt', `[ $ok = yes ] && printf '%s\\n' "$rt"`],
  ], {
    ...PROBES,
    prelude: [
      `z=${zone !== undefined ? q(zone) : "''"}; ok=no; rt=; p=`,
      'if command -v busctl >/dev/null 2>&1; then',
      `  if [ -n "$z" ] && rt=$(${rtCall}); then ok=yes`,
      `  elif dz=$(${dzCall}); then ok=yes; [ -n "$z" ] || z=$(printf '%s\\n' "$dz" | sed -n 's/^s "\\(.*\\)"$/\\1/p'); rt=$(${rtCall}); fi`,
      'fi',
      `if [ $ok = yes ]; then p=$(busctl call org.fedoraproject.FirewallD1 ${FW}/config org.fedoraproject.FirewallD1.config getZoneByName s "$z" 2>/dev/null | sed -n 's/^o "\\(.*\\)"$/\\1/p'); fi`,
    ].join('\n'),
  });
}

type Variant = { type?: string; data?: unknown };

/** The settings dict of `busctl --json=short` a{sv} output, or undefined (zone unknown at runtime, bad output). */
function settings(json: string | undefined): ZoneLists | undefined {
  if (!json || !json.trim()) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(json.trim());
  } catch {
    return undefined;
  }
  const d = (v as Variant)?.data;
  const dict = Array.isArray(d) ? d[0] : undefined;
  if (!dict || typeof dict !== 'object') return undefined;
  const field = (k: string): unknown[] => {
    const x = Object.prototype.hasOwnProperty.call(dict, k) ? (dict as Record<string, Variant>)[k]?.data : undefined;
    return Array.isArray(x) ? x : [];
  };
  const strs = (k: string) => field(k).filter((x): x is string => typeof x === 'string');
  return {
    services: strs('services'),
    ports: field('ports').filter((x): x is [string, string] => Array.isArray(x) && x.length === 2 && x.every((y) => typeof y === 'string')),
    sources: strs('sources'),
    interfaces: strs('interfaces'),
  };
}

export function parseZoneFact(out: string): ZoneFact {
  const s = sectionTexts(out);
  if ((s.dbus ?? '').trim() !== 'yes') return { dbus: false, zone: '', zones: [] };
  let zones: string[] = [];
  try {
    const d = (JSON.parse((s.zones ?? '').trim()) as Variant).data;
    const flat = Array.isArray(d) && Array.isArray(d[0]) ? d[0] : d;
    if (Array.isArray(flat)) zones = flat.filter((x): x is string => typeof x === 'string');
  } catch {
    zones = [];
  }
  const zone = (s.zone ?? '').trim();
  const perm = settings(s.perm);
  // found by name: the zone exists (the script then does not list the others)
  if (perm && !zones.includes(zone)) zones = [...zones, zone];
  return { dbus: true, zone, zones, perm, rt: settings(s.rt) };
}

const range = (p: string): [number, number] => {
  const [a, b] = p.split('-').map(Number);
  return [a, b ?? a];
};

/**
 * Whether the zone's lists hold the item, with firewalld's own rule for ports (a port or range
 * inside a listed range of the same protocol is present, as `--query-port` answers).
 * Rich rules are not decided here (firewalld normalises them): the caller asks firewalld.
 */
export function zoneHas(l: ZoneLists, kind: 'service' | 'port' | 'source' | 'interface', value: string): boolean {
  if (kind === 'service') return l.services.includes(value);
  if (kind === 'source') return l.sources.includes(value);
  if (kind === 'interface') return l.interfaces.includes(value);
  const [port, proto] = value.split('/');
  const [lo, hi] = range(port);
  return l.ports.some(([p, pr]) => {
    if (pr !== proto) return false;
    const [a, b] = range(p);
    return a <= lo && hi <= b;
  });
}
