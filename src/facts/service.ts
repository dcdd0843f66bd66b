/**
 * The state of one service: systemd where it is PID 1 (`systemctl show` + `is-enabled`, the unit
 * file on disk), else SysV (`service NAME status`, rc.d links or chkconfig). One script; the pure
 * parser is tested from recorded output (test/modules/sys/fixtures/service-*.txt).
 */
import { q } from '../util/quote.js';
import { parseSections, PROBES, sectionScript, sectionTexts } from './sections.js';

export interface UnitFacts {
  mgr: 'systemd' | 'sysv';
  unit: string;
  /** loaded, not-found, masked, error ... (sysv: loaded / not-found) */
  load: string;
  /** active, inactive, failed, activating, deactivating, reloading */
  active: string;
  /** systemctl is-enabled: enabled, disabled, static, masked, indirect, alias, generated... */
  enabled: string;
  needReload: boolean;
  /** a unit file exists on disk (for a not-yet-loaded unit) */
  fileOnDisk: boolean;
}

export function unitName(name: string): string {
  return /\.(service|socket|timer|mount|target|path|slice|scope|automount|swap|device)$/.test(name) ? name : `${name}.service`;
}

export function serviceFactCmd(name: string): string {
  const u = q(unitName(name));
  const n = q(name.replace(/\.service$/, ''));
  return sectionScript([
    ['mgr', 'echo $m'],
    ['show', `[ $m = systemd ] && systemctl show ${u} -p LoadState -p ActiveState -p NeedDaemonReload --no-pager 2>/dev/null`],
    ['enabled', `if [ $m = systemd ]; then systemctl is-enabled ${u} 2>/dev/null; elif command -v chkconfig >/dev/null 2>&1; then chkconfig --list ${n} 2>/dev/null | grep -q ':on' && echo enabled || echo disabled; else ls /etc/rc[2345].d/S*${n} >/dev/null 2>&1 && echo enabled || echo disabled; fi`],
    ['file', `if [ $m = systemd ]; then for d in /etc/systemd/system /run/systemd/system /lib/systemd/system /usr/lib/systemd/system; do [ -e "$d"/${u} ] && echo yes && break; done; else [ -x /etc/init.d/${n} ] && echo yes; fi`],
    // SysV: the section's exit code is the status command's
    ['status', `[ $m = sysv ] && service ${n} status >/dev/null 2>&1`],
  ], { ...PROBES, prelude: 'if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then m=systemd; else m=sysv; fi' });
}

export function parseServiceFacts(name: string, out: string): UnitFacts {
  const sec = parseSections(out);
  const s = sectionTexts(out);
  const mgr = (s.mgr ?? '').trim() === 'systemd' ? 'systemd' : 'sysv';
  const fileOnDisk = (s.file ?? '').trim() === 'yes';
  if (mgr === 'sysv') {
    return { mgr, unit: name, load: fileOnDisk ? 'loaded' : 'not-found', active: sec.status?.rc === 0 ? 'active' : 'inactive', enabled: (s.enabled ?? '').trim() || 'disabled', needReload: false, fileOnDisk };
  }
  const kv: Record<string, string> = {};
  // systemctl show: KEY=VALUE lines for the properties asked (none holds a name with a newline)
  for (const line of (s.show ?? '').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv[line.slice(0, i)] = line.slice(i + 1);
  }
  return {
    mgr,
    unit: unitName(name),
    load: kv.LoadState || 'not-found',
    active: kv.ActiveState || 'inactive',
    enabled: (s.enabled ?? '').trim().split('\n')[0] || 'disabled',
    needReload: kv.NeedDaemonReload === 'yes',
    fileOnDisk,
  };
}

