/**
 * service (alias systemd): start/stop/enable/mask services. systemd where it is PID 1 (read
 * with `systemctl show` + `is-enabled`), else the SysV `service` command with update-rc.d /
 * chkconfig. restarted/reloaded always change (as in Ansible): use them from handlers.
 */
import { q } from '../util/quote.js';
import type { ExplainCheck, Module, ModuleCtx, Plan, Step } from '../engine/module/types.js';
import { bool, object, str, strEnum, type Static } from '../engine/module/schema.js';
import { parseServiceFacts, serviceFactCmd, type UnitFacts } from '../facts/service.js';

export type ServiceParams = Static<typeof schema>;

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
    // Ansible's keys (its service runs the systemd module on systemd hosts): name, state (restarted/reloaded: started), enabled, status
    const result = { name: p.name, status, ...(p.state !== undefined ? { state: p.state === 'restarted' || p.state === 'reloaded' ? 'started' : p.state } : {}), ...(p.enabled !== undefined ? { enabled: p.enabled } : {}) };
    if (!steps.length) return { kind: 'ok', reason: `${u.unit}: ${u.active}, ${u.enabled}`, result };
    return {
      kind: 'change',
      reason: `${u.unit}: ${what.join(', ')}${note}`,
      steps,
      diff: [{ path: `service ${u.unit}`, before: `${u.active}, ${u.enabled}\n`, after: `${what.join(', ')}\n` }],
      result,
    };
  }
}

const schema = object(
  {
    name: str('Service (unit) name: rpcbind, nfs-server, firewalld, or a full unit name like foo.socket.'),
    state: strEnum(['started', 'stopped', 'restarted', 'reloaded'], 'started/stopped: only when needed; restarted/reloaded: always (reloaded starts a stopped service).'),
    enabled: bool('Start the service at boot (systemctl enable) or not.'),
    masked: bool('Mask (true) or unmask (false) the unit.'),
    daemon_reload: bool('Run systemctl daemon-reload first when systemd says the unit changed on disk (or it exists on disk but is not loaded yet).', false),
  },
  { required: ['name'], anyOf: [{ required: ['state'] }, { required: ['enabled'] }, { required: ['masked'] }, { required: ['daemon_reload'] }] },
);

export const service: Module<ServiceParams, { unit: UnitFacts }> = {
  name: 'service',
  doc: 'Start, stop, enable, disable, mask services (systemd, else SysV `service`); restarted/reloaded always change.',
  notes: `Facts: \`systemctl show -p LoadState,ActiveState,NeedDaemonReload\` and \`systemctl is-enabled\` (SysV \`service NAME status\` + rc links without systemd). \`started\`/\`stopped\`/\`enabled\` change only when needed; \`restarted\`/\`reloaded\` always change (use them in handlers). \`static\`, \`indirect\`, \`alias\` and \`generated\` units count as enabled. A unit that does not exist fails, except in check mode (an earlier package task installs it: the change is predicted). Alias: \`ansible.builtin.service\`; \`systemd\` is Ansible's systemd module (docs/ansible-modules.md).`,
  examples: `- service: {name: rpcbind, state: started, enabled: true}
`,
  schema,
  facts: (p) => ({ unit: { cmd: serviceFactCmd(p.name), parse: (r) => parseServiceFacts(p.name, r.stdout), explain: (u) => serviceCheck(p.name, u as UnitFacts) } }),
  plan: (p, f, ctx) => planService(p, f.unit, ctx),
};
