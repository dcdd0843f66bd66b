/**
 * service (alias systemd): start/stop/enable/mask services. systemd where it is PID 1 (read
 * with `systemctl show` + `is-enabled`), else the SysV `service` command with update-rc.d /
 * chkconfig. restarted/reloaded always change (as in Ansible): use them from handlers.
 */
import { q } from '../util/quote.js';
import type { ExplainCheck, Module, ModuleCtx, Plan, Step } from './types.js';
import { bool, object, str, strEnum } from './util/schema.js';
import { tagged } from './sys/osfacts.js';

export interface ServiceParams {
  name: string;
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded';
  enabled?: boolean;
  masked?: boolean;
  daemon_reload?: boolean;
}

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
  return [
    'LC_ALL=C; export LC_ALL',
    'if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then',
    '  echo "@@ mgr"; echo systemd',
    `  echo "@@ show"; systemctl show ${u} -p LoadState -p ActiveState -p NeedDaemonReload --no-pager 2>/dev/null`,
    `  echo "@@ enabled"; systemctl is-enabled ${u} 2>/dev/null`,
    `  echo "@@ file"; for d in /etc/systemd/system /run/systemd/system /lib/systemd/system /usr/lib/systemd/system; do [ -e "$d"/${u} ] && echo yes && break; done`,
    'else',
    '  echo "@@ mgr"; echo sysv',
    `  echo "@@ file"; [ -x /etc/init.d/${n} ] && echo yes`,
    `  echo "@@ status"; service ${n} status >/dev/null 2>&1; echo $?`,
    `  echo "@@ enabled"; if command -v chkconfig >/dev/null 2>&1; then chkconfig --list ${n} 2>/dev/null | grep -q ':on' && echo enabled || echo disabled; else ls /etc/rc[2345].d/S*${n} >/dev/null 2>&1 && echo enabled || echo disabled; fi`,
    'fi',
    'echo "@@ end"',
    'exit 0',
  ].join('\n');
}

export function parseServiceFacts(name: string, out: string): UnitFacts {
  const s = tagged(out);
  const mgr = (s.mgr ?? '').trim() === 'systemd' ? 'systemd' : 'sysv';
  const fileOnDisk = (s.file ?? '').trim() === 'yes';
  if (mgr === 'sysv') {
    const rc = Number((s.status ?? '').trim());
    return { mgr, unit: name, load: fileOnDisk ? 'loaded' : 'not-found', active: rc === 0 ? 'active' : 'inactive', enabled: (s.enabled ?? '').trim() || 'disabled', needReload: false, fileOnDisk };
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

/** --explain: the unit's state as `systemctl is-active/is-enabled` (or SysV `service NAME status`) tell it. */
export function serviceCheck(name: string, u: UnitFacts): ExplainCheck {
  if (u.mgr === 'sysv') {
    const n = q(name.replace(/\.service$/, ''));
    return { cmd: `service ${n} status`, found: u.load === 'not-found' ? `no /etc/init.d/${name} (not installed)` : `${u.active === 'active' ? 'running' : 'not running'}, ${u.enabled} at boot` };
  }
  const unit = q(u.unit);
  const found = u.load === 'not-found' ? `no such unit${u.fileOnDisk ? ' loaded (its file is on disk: daemon-reload needed)' : ' (not installed)'}` : `${u.active}, ${u.enabled}${u.needReload ? ' (its unit file changed: daemon-reload needed)' : ''}`;
  return { cmd: `systemctl is-active ${unit}; systemctl is-enabled ${unit}`, found };
}

const ENABLED = new Set(['enabled', 'enabled-runtime', 'static', 'indirect', 'alias', 'generated']);
const RUNNING = new Set(['active', 'activating', 'reloading']);

/** Pure planning. */
export function planService(p: ServiceParams, u: UnitFacts, ctx: Pick<ModuleCtx, 'check'>): Plan {
  const steps: Step[] = [];
  const what: string[] = [];
  const sd = u.mgr === 'systemd';
  const unit = q(u.unit);
  const name = q(p.name.replace(/\.service$/, ''));
  const masked = u.enabled === 'masked' || u.load === 'masked';
  let missing = u.load === 'not-found' && !masked;
  let assumed = false;
  if (sd && p.daemon_reload && (u.needReload || (missing && u.fileOnDisk))) {
    steps.push({ desc: 'systemctl daemon-reload', cmd: 'systemctl daemon-reload' });
    what.push('daemon reloaded');
    missing = false;
    assumed = u.load === 'not-found';
  }
  if (missing && p.masked !== true) {
    if (!ctx.check) throw new Error(`service ${u.unit} not found on the host${u.fileOnDisk ? ' (the unit file exists: use daemon_reload: true)' : ''}`);
    assumed = true;
  }
  const enabledNow = !assumed && ENABLED.has(u.enabled);
  const running = !assumed && RUNNING.has(u.active);
  if (p.masked === false && masked) {
    steps.push({ desc: `unmask ${u.unit}`, cmd: `systemctl unmask ${unit}` });
    what.push('unmasked');
  }
  if (p.masked === true && !masked) {
    if (running || assumed) {
      steps.push({ desc: `stop ${u.unit}`, cmd: `systemctl stop ${unit}` });
      what.push('stopped');
    }
    steps.push({ desc: `mask ${u.unit}`, cmd: `systemctl mask ${unit}` });
    what.push('masked');
    return done();
  }
  if (p.enabled === true && (!enabledNow || (masked && p.masked !== false))) {
    if (masked && p.masked !== false) throw new Error(`service ${u.unit} is masked: cannot enable it (use masked: false)`);
    steps.push({ desc: `enable ${u.unit}`, cmd: sd ? `systemctl enable ${unit}` : `if command -v update-rc.d >/dev/null 2>&1; then update-rc.d ${name} defaults && update-rc.d ${name} enable; else chkconfig ${name} on; fi` });
    what.push('enabled');
  }
  if (p.enabled === false && (assumed || u.enabled === 'enabled')) {
    steps.push({ desc: `disable ${u.unit}`, cmd: sd ? `systemctl disable ${unit}` : `if command -v update-rc.d >/dev/null 2>&1; then update-rc.d ${name} disable; else chkconfig ${name} off; fi` });
    what.push('disabled');
  }
  const ctl = (verb: string) => (sd ? `systemctl ${verb} ${unit}` : `service ${name} ${verb}`);
  if ((p.state === 'started' || p.state === 'restarted' || p.state === 'reloaded') && masked && p.masked !== false) {
    throw new Error(`service ${u.unit} is masked: cannot ${p.state.replace(/ed$/, '')} it (use masked: false)`);
  }
  switch (p.state) {
    case 'started':
      if (!running) { steps.push({ desc: `start ${u.unit}`, cmd: ctl('start') }); what.push('started'); }
      break;
    case 'stopped':
      if (running || assumed) { steps.push({ desc: `stop ${u.unit}`, cmd: ctl('stop') }); what.push('stopped'); }
      break;
    case 'restarted':
      steps.push({ desc: `restart ${u.unit}`, cmd: ctl('restart') });
      what.push('restarted');
      break;
    case 'reloaded':
      steps.push({ desc: `reload ${u.unit}`, cmd: running ? ctl('reload') : ctl('start') });
      what.push(running ? 'reloaded' : 'started (was not running)');
      break;
  }
  return done();

  function done(): Plan {
    const status = { name: u.unit, state: running ? 'started' : 'stopped', enabled: enabledNow, masked, ActiveState: u.active, UnitFileState: u.enabled };
    const note = assumed && ctx.check ? ' (check mode: the service does not exist yet, assuming an earlier task installs it)' : '';
    if (!steps.length) return { kind: 'ok', reason: `${u.unit}: ${u.active}, ${u.enabled}`, result: { status, state: p.state, enabled: p.enabled } };
    return {
      kind: 'change',
      reason: `${u.unit}: ${what.join(', ')}${note}`,
      steps,
      diff: [{ path: `service ${u.unit}`, before: `${u.active}, ${u.enabled}\n`, after: `${what.join(', ')}\n` }],
      result: { status, state: p.state, enabled: p.enabled },
    };
  }
}

export const service: Module<ServiceParams, { unit: UnitFacts }> = {
  name: 'service',
  doc: 'Start, stop, enable, disable, mask services (systemd, else SysV `service`); restarted/reloaded always change.',
  schema: object(
    {
      name: str('Service (unit) name: rpcbind, nfs-server, firewalld, or a full unit name like foo.socket.'),
      state: strEnum(['started', 'stopped', 'restarted', 'reloaded'], 'started/stopped: only when needed; restarted/reloaded: always (reloaded starts a stopped service).'),
      enabled: bool('Start the service at boot (systemctl enable) or not.'),
      masked: bool('Mask (true) or unmask (false) the unit.'),
      daemon_reload: bool('Run systemctl daemon-reload first when systemd says the unit changed on disk (or it exists on disk but is not loaded yet).', false),
    },
    { required: ['name'], anyOf: [{ required: ['state'] }, { required: ['enabled'] }, { required: ['masked'] }, { required: ['daemon_reload'] }] },
  ),
  facts: (p) => ({ unit: { cmd: serviceFactCmd(p.name), parse: (r) => parseServiceFacts(p.name, r.stdout), explain: (u) => serviceCheck(p.name, u as UnitFacts) } }),
  plan: (p, f, ctx) => planService(p, f.unit, ctx),
};
