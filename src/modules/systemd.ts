/**
 * systemd (systemd_service): Ansible's systemd module under its names, parameters and results.
 * Facts in one round trip: `systemctl is-enabled -l`, the SysV script, and ONE `systemctl show` of
 * the unit (every property: Ansible registers them as `status`). The plan follows Ansible's module
 * step by step: daemon-reload/daemon-reexec run whenever asked and are no change by themselves;
 * mask, enable (indirect and alias units count as disabled, as Ansible's `is-enabled -l` check),
 * then the state; a unit systemd does not know fails, in check mode too.
 */
import { q } from '../util/quote.js';
import type { ExplainCheck, Fact, Module, ModuleCtx, Plan, Step } from '../engine/module/types.js';
import { okOut, parseSections, PROBES, sectionScript } from '../facts/sections.js';
import { bool, object, str, strEnum, type Static } from '../engine/module/schema.js';

export type SystemdParams = Static<typeof schema>;

export interface SystemdFacts {
  /** `systemctl is-enabled -l` output lines and exit code */
  enabledOut: string[];
  enabledRc: number;
  /** /etc/init.d/NAME exists */
  initd: boolean;
  /** `systemctl show NAME` parsed as Ansible's parse_systemctl_show (a null-prototype table of host data) */
  status: Record<string, string>;
  showRc: number;
  /** systemctl is on the host */
  systemctl: boolean;
  /** show failed: `systemctl list-unit-files UNIT` listed it, or systemctl's own error (Ansible's last resort) */
  probe?: { listed: boolean; error: string };
}

const unitOf = (p: SystemdParams) => p.name;

/** `systemctl` with the scope/no_block/force switches, as Ansible builds it. */
export function systemctl(p: SystemdParams): string {
  return ['systemctl', ...(p.scope && p.scope !== 'system' ? [`--${p.scope}`] : []), ...(p.no_block ? ['--no-block'] : []), ...(p.force ? ['--force'] : [])].join(' ');
}

export function systemdFactCmd(p: SystemdParams): string {
  const u = q(unitOf(p)!);
  const ctl = systemctl(p);
  return sectionScript([
    ['systemctl', 'command -v systemctl >/dev/null 2>&1 && echo yes'],
    // the section's exit code is is-enabled's
    ['enabled', `${ctl} is-enabled ${u} -l 2>/dev/null`],
    // Ansible's sysv_exists(unit): the name as given
    ['initd', `[ -e /etc/init.d/${u} ] && echo yes`],
    // Ansible's fallback when show fails and is-enabled knows nothing (rc 0: show failed): list-unit-files, else systemctl's own error
    ['probe', `show=$(${ctl} show ${u} 2>/dev/null); src=$?; [ $src -ne 0 ] && if ${ctl} list-unit-files ${u} >/dev/null 2>&1; then echo listed; else ${ctl} 2>&1 >/dev/null | head -c 4096; echo; fi`],
    // rc 0: show succeeded
    ['show', '[ -n "$show" ] && printf \'%s\\n\' "$show"; [ $src -eq 0 ]'],
  ], { ...PROBES, prelude: '[ -n "$XDG_RUNTIME_DIR" ] || { XDG_RUNTIME_DIR=/run/user/$(id -u); export XDG_RUNTIME_DIR; }' });
}

/** Ansible's parse_systemctl_show: KEY=VALUE lines; Exec* values in { } may span lines. */
export function parseSystemctlShow(lines: string[]): Record<string, string> {
  const parsed: Record<string, string> = Object.create(null);
  let multi: string[] = [];
  let k: string | undefined;
  for (const line of lines) {
    if (k === undefined) {
      const i = line.indexOf('=');
      if (i < 0) continue;
      const key = line.slice(0, i);
      const v = line.slice(i + 1);
      if (key.startsWith('Exec') && v.trimStart().startsWith('{') && !v.trimEnd().endsWith('}')) {
        k = key;
        multi.push(v);
        continue;
      }
      parsed[key] = v.trim();
    } else {
      multi.push(line);
      if (line.trimEnd().endsWith('}')) {
        parsed[k] = multi.join('\n').trim();
        multi = [];
        k = undefined;
      }
    }
  }
  return parsed;
}

export function parseSystemdFacts(out: string): SystemdFacts {
  const s = parseSections(out);
  const text = (name: string) => s[name]?.out ?? '';
  const probe = okOut(s.probe);
  return {
    enabledOut: text('enabled').split('\n').filter((l) => l !== ''),
    enabledRc: s.enabled?.rc ?? 1,
    initd: text('initd').trim() === 'yes',
    status: parseSystemctlShow(text('show').split('\n')),
    showRc: s.show?.rc ?? 1,
    systemctl: text('systemctl').trim() === 'yes',
    ...(probe !== undefined ? { probe: { listed: probe.trim() === 'listed', error: probe.trimEnd() } } : {}),
  };
}

const VALID_ENABLED = new Set(['enabled', 'enabled-runtime', 'linked', 'linked-runtime', 'masked', 'masked-runtime', 'static', 'indirect', 'disabled', 'generated', 'transient']);

/** Pure planning, in the order of Ansible's module. */
export function planSystemd(p: SystemdParams, f: SystemdFacts | undefined, _ctx?: Pick<ModuleCtx, 'check'>): Plan {
  const ctl = systemctl(p);
  const steps: Step[] = [];
  const quiet: Step[] = [];
  const what: string[] = [];
  const unit = unitOf(p);
  if (unit !== undefined && /[*?[]/.test(unit)) throw new Error(`This module does not currently support using glob patterns, found '${unit.match(/[*?[]/)![0]}' in service name: ${unit}`);
  if (p.daemon_reload) quiet.push({ desc: 'systemctl daemon-reload', cmd: `${ctl} daemon-reload` });
  if (p.daemon_reexec) quiet.push({ desc: 'systemctl daemon-reexec', cmd: `${ctl} daemon-reexec` });
  const result: Record<string, unknown> = { name: unit ?? null, status: {} };
  if (unit !== undefined && f) {
    if (!f.systemctl) throw new Error('Failed to find required executable "systemctl" in paths: /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    const u = q(unit);
    const st = f.status;
    let isSystemd = false;
    if (f.showRc === 0 && Object.keys(st).length) {
      result.status = st;
      isSystemd = st.LoadState !== undefined && st.LoadState !== 'not-found';
      const isMasked = st.LoadState === 'masked';
      if (isSystemd && !isMasked && st.LoadError !== undefined) throw new Error(`Error loading unit file '${unit}': ${st.LoadError}`);
    } else if (VALID_ENABLED.has((f.enabledOut[0] ?? '').trim())) isSystemd = true;
    else if (f.probe?.listed) isSystemd = true;
    else if (f.probe) throw new Error(f.probe.error || 'systemctl failed');
    const found = isSystemd || f.initd;
    const missing = () => new Error(`Could not find the requested service ${unit}: host`);
    const isEnabledWord = (f.enabledOut[0] ?? '').trim();
    if (p.masked !== undefined) {
      const masked = isEnabledWord === 'masked';
      if (masked !== p.masked) {
        steps.push({ desc: `${p.masked ? 'mask' : 'unmask'} ${unit}`, cmd: `${ctl} ${p.masked ? 'mask' : 'unmask'} ${u}` });
        what.push(p.masked ? 'masked' : 'unmasked');
      }
    }
    if (p.enabled !== undefined) {
      if (!found) throw missing();
      let enabled = false;
      if (f.enabledRc === 0) enabled = !(f.enabledOut.length === 1 && (f.enabledOut[0] === 'indirect' || f.enabledOut[0] === 'alias'));
      result.enabled = enabled;
      if (enabled !== p.enabled) {
        steps.push({ desc: `${p.enabled ? 'enable' : 'disable'} ${unit}`, cmd: `${ctl} ${p.enabled ? 'enable' : 'disable'} ${u}` });
        what.push(p.enabled ? 'enabled' : 'disabled');
        result.enabled = !enabled;
      }
    }
    if (p.state !== undefined) {
      if (!found) throw missing();
      result.state = p.state;
      if (st.ActiveState === undefined) throw new Error('Service is in unknown state');
      const running = st.ActiveState === 'active' || st.ActiveState === 'activating';
      let action: string | undefined;
      if (p.state === 'started') action = running ? undefined : 'start';
      else if (p.state === 'stopped') action = running || st.ActiveState === 'deactivating' ? 'stop' : undefined;
      else {
        action = running ? p.state.slice(0, -2) : 'start';
        result.state = 'started';
      }
      if (action) {
        steps.push({ desc: `${action} ${unit}`, cmd: `${ctl} ${action} ${u}` });
        what.push(`${action === 'stop' ? 'stopped' : action === 'start' ? 'started' : action + 'ed'}`);
      }
    }
  }
  const reason = unit ? `${unit}: ${what.length ? what.join(', ') : `${(result.status as Record<string, string>).ActiveState ?? 'unknown'}, ${f?.enabledOut[0] ?? 'unknown'}`}` : quiet.map((s) => s.desc).join(', ') || 'nothing to do';
  if (!steps.length && !quiet.length) return { kind: 'ok', reason, result };
  if (!steps.length) return { kind: 'change', reason, steps: quiet, result, changed: false };
  const before = `${(result.status as Record<string, string>).ActiveState ?? 'unknown'}, ${f?.enabledOut[0] ?? 'unknown'}\n`;
  return { kind: 'change', reason, steps: [...quiet, ...steps], result, diff: [{ path: `systemd unit ${unit}`, before, after: `${what.join(', ')}\n` }] };
}

export function systemdCheck(p: SystemdParams, f: SystemdFacts): ExplainCheck {
  const u = q(unitOf(p)!);
  const ctl = systemctl(p);
  return { cmd: `${ctl} show ${u} -p LoadState,ActiveState; ${ctl} is-enabled ${u}`, found: `${f.status.LoadState ?? 'unknown'}, ${f.status.ActiveState ?? 'unknown'}, ${f.enabledOut[0] ?? 'unknown'}` };
}

const schema = object(
  {
    name: str('The unit: nginx, nginx.service, foo.socket (no glob patterns).', { aliases: ['service', 'unit'] }),
    state: strEnum(['started', 'stopped', 'restarted', 'reloaded'], 'started/stopped: when needed; restarted/reloaded: always (a stopped unit is started).'),
    enabled: bool('Start at boot (systemctl enable) or not. indirect and alias units count as not enabled, as in Ansible.'),
    force: bool('systemctl --force (enable/mask over existing links).'),
    masked: bool('Mask (true) or unmask (false) the unit; works on units that are not installed yet.'),
    daemon_reload: bool('systemctl daemon-reload first (always, when asked; not a change by itself).', false, { aliases: ['daemon-reload'] }),
    daemon_reexec: bool('systemctl daemon-reexec first (always, when asked; not a change by itself).', false, { aliases: ['daemon-reexec'] }),
    scope: strEnum(['system', 'user', 'global'], 'system (default), user (systemctl --user: the connecting user\'s manager) or global.'),
    no_block: bool('systemctl --no-block: do not wait for the job to finish.', false),
  },
  {
    anyOf: ['state', 'enabled', 'masked', 'daemon_reload', 'daemon_reexec'].map((k) => ({ required: [k] })),
    // Ansible's required_by: state, enabled and masked need the unit
    allOf: ['state', 'enabled', 'masked'].map((k) => ({ if: { required: [k] }, then: { required: ['name'] } })),
  },
);

export const systemd: Module<SystemdParams, { unit?: SystemdFacts }> = {
  name: 'systemd',
  reasonIsMsg: false,
  doc: "Ansible's systemd: start, stop, restart, reload, enable, mask units, daemon-reload/daemon-reexec; registers status (systemctl show).",
  schema,
  facts: (p): Record<string, Fact<unknown>> => (unitOf(p) === undefined ? {} : { unit: { cmd: systemdFactCmd(p), parse: (r) => parseSystemdFacts(r.stdout), explain: (f) => systemdCheck(p, f as SystemdFacts) } }),
  plan: (p, f, ctx) => planSystemd(p, f.unit, ctx),
};
