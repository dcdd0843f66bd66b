/**
 * timezone (community.general.timezone): the system time zone (and the hardware clock's UTC/local
 * setting) with timedatectl where systemd runs, else the Debian way (/etc/timezone and the
 * /etc/localtime link). The zone must exist under /usr/share/zoneinfo.
 */
import { q } from '../util/quote.js';
import type { Module, ModuleCtx, Plan, Step } from '../engine/module/types.js';
import { object, str, strEnum, type Static } from '../engine/module/schema.js';
import { PROBES, sectionScript, sectionTexts } from '../facts/sections.js';

export type TimezoneParams = Static<typeof schema>;

export interface TimezoneFacts {
  systemd: boolean;
  /** the current zone (timedatectl, else /etc/timezone, else the /etc/localtime link) */
  zone: string;
  /** the RTC keeps local time */
  localRtc: boolean;
  /** the wanted zone's file exists */
  zoneExists: boolean;
}

export function timezoneFactCmd(name: string | undefined): string {
  return sectionScript([
    ['systemd', '[ -d /run/systemd/system ] && command -v timedatectl >/dev/null 2>&1 && echo yes'],
    ['zone', 'if [ -d /run/systemd/system ] && z=$(timedatectl show -p Timezone --value 2>/dev/null) && [ -n "$z" ]; then echo "$z"; elif [ -s /etc/timezone ]; then head -n 1 /etc/timezone; else readlink /etc/localtime 2>/dev/null | sed \'s|.*/zoneinfo/||\'; fi'],
    ['rtc', 'if [ -d /run/systemd/system ]; then timedatectl show -p LocalRTC --value 2>/dev/null; else [ -f /etc/adjtime ] && sed -n 3p /etc/adjtime; fi'],
    ...(name !== undefined ? [['exists', `[ -f /usr/share/zoneinfo/${q(name)} ] && echo yes`] as const] : []),
  ], PROBES);
}

export function parseTimezoneFacts(out: string): TimezoneFacts {
  const s = sectionTexts(out);
  const rtc = (s.rtc ?? '').trim();
  return { systemd: (s.systemd ?? '').trim() === 'yes', zone: (s.zone ?? '').trim(), localRtc: rtc === 'yes' || rtc === 'LOCAL', zoneExists: (s.exists ?? '').trim() === 'yes' };
}

export function planTimezone(p: TimezoneParams, f: TimezoneFacts, _ctx?: Pick<ModuleCtx, 'check'>): Plan {
  const steps: Step[] = [];
  const what: string[] = [];
  if (p.name !== undefined && p.name !== f.zone) {
    if (!f.zoneExists || p.name.includes('..')) throw new Error(`given timezone "${p.name}" is not available`);
    if (f.systemd) steps.push({ desc: `timedatectl set-timezone ${p.name}`, cmd: `timedatectl set-timezone ${q(p.name)}` });
    else {
      steps.push({ desc: 'write /etc/timezone', cmd: `printf '%s\\n' ${q(p.name)} > /etc/timezone` });
      steps.push({ desc: 'link /etc/localtime', cmd: `ln -sfn ${q(`/usr/share/zoneinfo/${p.name}`)} /etc/localtime` });
    }
    what.push(`timezone ${f.zone || '(none)'} -> ${p.name}`);
  }
  if (p.hwclock !== undefined && (p.hwclock === 'local') !== f.localRtc) {
    if (!f.systemd) throw new Error('hwclock: only with systemd (timedatectl set-local-rtc) in kvplay');
    steps.push({ desc: 'timedatectl set-local-rtc', cmd: `timedatectl set-local-rtc ${p.hwclock === 'local' ? 'yes' : 'no'}` });
    what.push(`hwclock ${f.localRtc ? 'local' : 'UTC'} -> ${p.hwclock}`);
  }
  const before = { name: f.zone, ...(p.hwclock !== undefined ? { hwclock: f.localRtc ? 'local' : 'UTC' } : {}) };
  const after = { name: p.name ?? f.zone, ...(p.hwclock !== undefined ? { hwclock: p.hwclock } : {}) };
  if (!steps.length) return { kind: 'ok', reason: `timezone ${f.zone}`, result: { diff: { before, after } } };
  return { kind: 'change', reason: what.join(', '), steps, result: { diff: { before, after } }, diff: [{ path: 'timezone', before: `${JSON.stringify(before)}\n`, after: `${JSON.stringify(after)}\n` }] };
}

const schema = object(
  {
    name: str('The time zone, e.g. Europe/Paris or UTC (a file under /usr/share/zoneinfo).'),
    hwclock: strEnum(['local', 'UTC'], 'The hardware clock keeps local time or UTC (systemd hosts).'),
  },
  { anyOf: [{ required: ['name'] }, { required: ['hwclock'] }] },
);

export const timezone: Module<TimezoneParams, { tz: TimezoneFacts }> = {
  name: 'timezone',
  reasonIsMsg: false,
  doc: 'Set the time zone (timedatectl, or /etc/timezone and /etc/localtime on the Debian family) and the hardware clock\'s UTC/local mode.',
  schema,
  facts: (p) => ({ tz: { cmd: timezoneFactCmd(p.name), parse: (r) => parseTimezoneFacts(r.stdout), explain: (f) => ({ cmd: 'timedatectl show -p Timezone', found: (f as TimezoneFacts).zone || 'unknown' }) } }),
  plan: (p, f) => planTimezone(p, f.tz),
};
