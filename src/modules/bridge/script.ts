/**
 * The bridge switch as ONE detached remote script (setsid nohup): it moves the NIC's
 * addresses and default route to the bridge with the backend's own tools, writes the
 * persistent configuration, reports `switched`, then waits for the controller's confirmation
 * (a file the controller touches over SSH after it heard back) and rolls everything back when
 * none comes within the timeout. Pure text builders; the steps (start, wait, confirm) too.
 */
import { q } from '../../util/quote.js';
import type { Step } from '../../engine/module/types.js';
import { plainShell } from '../../engine/module/explain.js';
import { NETDEV_FILE, PERSIST_SCRIPT, PERSIST_UNIT, type Addr, type Backend } from './net.js';

export interface SwitchSpec {
  br: string;
  nic: string;
  mac?: string;
  addrs: Addr[];
  gateway?: string;
  stp: boolean;
  fd: number;
  backend: Backend;
  timeout: number;
  /** ifupdown: the new /etc/network/interfaces */
  interfaces?: string;
  systemd: boolean;
}

export const runDir = (br: string) => `/run/kvplay/bridge-${br}`;

/** Seconds the switch waits for the bridge to settle after the backend's commands returned. */
const SETTLE_S = 60;
/** Seconds the controller waits for the switch to report (the backend's commands plus settling; slow under emulation). */
const REPORT_S = 240;

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** iproute2 commands that put br over nic (idempotent: errors for existing things ignored). */
function ipUp(s: SwitchSpec, brQ: string, nicQ: string): string[] {
  return [
    `ip link show ${brQ} >/dev/null 2>&1 || ip link add ${brQ}${s.mac ? ` address ${q(s.mac)}` : ''} type bridge stp_state ${s.stp ? 1 : 0} forward_delay ${s.fd * 100}`,
    `ip link set ${brQ} up`,
    `ip link set ${nicQ} master ${brQ}`,
    ...s.addrs.map((a) => `ip addr replace ${q(a.cidr)} dev ${brQ}`),
    ...s.addrs.map((a) => `ip addr del ${q(a.cidr)} dev ${nicQ} 2>/dev/null || :`),
    ...(s.gateway ? [`ip route replace default via ${q(s.gateway)} dev ${brQ}`] : []),
  ];
}

function ipDown(s: SwitchSpec, brQ: string, nicQ: string): string[] {
  return [
    ...s.addrs.map((a) => `ip addr replace ${q(a.cidr)} dev ${nicQ}`),
    ...s.addrs.map((a) => `ip addr del ${q(a.cidr)} dev ${brQ} 2>/dev/null || :`),
    `ip link set ${nicQ} nomaster 2>/dev/null || :`,
    `ip link set ${nicQ} up`,
    ...(s.gateway ? [`ip route replace default via ${q(s.gateway)} dev ${nicQ}`] : []),
    `ip link del ${brQ} 2>/dev/null || :`,
  ];
}

/** The boot-time script of the iproute2 backend (same commands, idempotent). */
export function persistScript(s: SwitchSpec): string {
  const brQ = q(s.br);
  const nicQ = q(s.nic);
  return ['#!/bin/sh', `# kvplay: bridge ${s.br} over ${s.nic} (written by the bridge module)`, ...ipUp(s, brQ, nicQ), 'exit 0', ''].join('\n');
}

export function persistUnit(s: SwitchSpec): string {
  return [
    '[Unit]',
    `Description=kvplay bridge ${s.br} over ${s.nic}`,
    'After=network-pre.target',
    'Before=network.target',
    '',
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    `ExecStart=/bin/sh ${PERSIST_SCRIPT(s.br)}`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

function backendSwitch(s: SwitchSpec): { up: string[]; down: string[] } {
  const brQ = q(s.br);
  const nicQ = q(s.nic);
  switch (s.backend) {
    case 'ifupdown':
      return {
        up: [
          'cp -p /etc/network/interfaces "$D/interfaces.old"',
          'b="/etc/network/interfaces.$(date +%Y%m%dT%H%M%S).kvplay~"; cp -p /etc/network/interfaces "$b" && echo "backup_file=$b"',
          `ifdown ${nicQ} || ip addr flush dev ${nicQ}`,
          `printf %s ${q(b64(s.interfaces ?? ''))} | base64 -d > "$D/interfaces.new"`,
          'cp "$D/interfaces.new" /etc/network/interfaces.kvplay-tmp && mv -f /etc/network/interfaces.kvplay-tmp /etc/network/interfaces',
          `ifup ${brQ}`,
        ],
        down: [
          `ifdown ${brQ} 2>/dev/null || :`,
          `ip link del ${brQ} 2>/dev/null || :`,
          '[ -f "$D/interfaces.old" ] && cp -p "$D/interfaces.old" /etc/network/interfaces',
          `ifup ${nicQ} || { ${ipDown(s, brQ, nicQ).join('; ')}; }`,
        ],
      };
    case 'nm': {
      const port = q(`${s.br}-port-${s.nic}`);
      return {
        up: [
          `old=$(nmcli -g GENERAL.CONNECTION device show ${nicQ})`,
          'echo "$old" > "$D/nm.old"',
          'g() { nmcli -g "$1" connection show "$old" 2>/dev/null; }',
          'm4=$(g ipv4.method); a4=$(g ipv4.addresses); g4=$(g ipv4.gateway); d4=$(g ipv4.dns); m6=$(g ipv6.method); a6=$(g ipv6.addresses); g6=$(g ipv6.gateway)',
          `set -- type bridge ifname ${brQ} con-name ${brQ} bridge.stp ${s.stp ? 'yes' : 'no'} bridge.forward-delay ${s.fd} ipv4.method "\${m4:-auto}" ipv6.method "\${m6:-auto}"`,
          ...(s.mac ? [`set -- "$@" bridge.mac-address ${q(s.mac)}`] : []),
          '[ -n "$a4" ] && set -- "$@" ipv4.addresses "$a4"; [ -n "$g4" ] && set -- "$@" ipv4.gateway "$g4"; [ -n "$d4" ] && set -- "$@" ipv4.dns "$d4"',
          '[ -n "$a6" ] && set -- "$@" ipv6.addresses "$a6"; [ -n "$g6" ] && set -- "$@" ipv6.gateway "$g6"',
          'nmcli connection add "$@"',
          `nmcli connection add type ethernet ifname ${nicQ} con-name ${port} master ${brQ} slave-type bridge`,
          '[ -n "$old" ] && nmcli connection modify "$old" connection.autoconnect no',
          `nmcli connection up ${port}`,
          `nmcli connection up ${brQ}`,
        ],
        down: [
          'old=$(cat "$D/nm.old" 2>/dev/null)',
          `nmcli connection delete ${port} 2>/dev/null; nmcli connection delete ${brQ} 2>/dev/null`,
          '[ -n "$old" ] && nmcli connection modify "$old" connection.autoconnect yes && nmcli connection up "$old"',
        ],
      };
    }
    case 'networkd': {
      const netdev = q(NETDEV_FILE(s.br));
      const brnet = q(`/etc/systemd/network/10-kvplay-${s.br}.network`);
      const portnet = q(`/etc/systemd/network/05-kvplay-${s.nic}-port.network`);
      const nd = ['[NetDev]', `Name=${s.br}`, 'Kind=bridge', ...(s.mac ? [`MACAddress=${s.mac}`] : []), '', '[Bridge]', `STP=${s.stp ? 'yes' : 'no'}`, `ForwardDelaySec=${s.fd}`, ''].join('\n');
      const pn = ['[Match]', `Name=${s.nic}`, '', '[Network]', `Bridge=${s.br}`, ''].join('\n');
      return {
        up: [
          `nf=$(networkctl status ${nicQ} --no-pager 2>/dev/null | sed -n 's/^ *Network File: //p')`,
          'echo "$nf" > "$D/networkd.old"',
          `printf %s ${q(b64(nd))} | base64 -d > ${netdev}`,
          `printf %s ${q(b64(pn))} | base64 -d > ${portnet}`,
          `if [ -f "$nf" ]; then awk -v br=${q(s.br)} 'BEGIN{print "[Match]"; print "Name=" br; print ""} /^\\[/{skip=($0=="[Match]")} !skip' "$nf" > ${brnet}; mv -f "$nf" "$nf.kvplay-off"; else printf '[Match]\\nName=%s\\n\\n[Network]\\n' ${q(s.br)} > ${brnet}; fi`,
          'networkctl reload',
          `networkctl reconfigure ${nicQ} 2>/dev/null || :`,
          `i=0; while [ $i -lt 50 ] && ! ip -4 addr show dev ${brQ} 2>/dev/null | grep -q inet; do sleep 0.2; i=$((i+1)); done`,
        ],
        down: [
          'nf=$(cat "$D/networkd.old" 2>/dev/null)',
          `rm -f ${netdev} ${brnet} ${portnet}`,
          '[ -n "$nf" ] && [ -f "$nf.kvplay-off" ] && mv -f "$nf.kvplay-off" "$nf"',
          `ip link del ${brQ} 2>/dev/null || :`,
          'networkctl reload',
          `networkctl reconfigure ${nicQ} 2>/dev/null || :`,
        ],
      };
    }
    default: {
      const unit = PERSIST_UNIT(s.br);
      return {
        up: [
          ...ipUp(s, brQ, nicQ),
          'mkdir -p /etc/kvplay',
          `printf %s ${q(b64(persistScript(s)))} | base64 -d > ${q(PERSIST_SCRIPT(s.br))}`,
          ...(s.systemd ? [`printf %s ${q(b64(persistUnit(s)))} | base64 -d > /etc/systemd/system/${unit}`, `systemctl daemon-reload && systemctl enable ${unit}`] : []),
        ],
        down: [
          ...ipDown(s, brQ, nicQ),
          ...(s.systemd ? [`systemctl disable ${unit} 2>/dev/null; rm -f /etc/systemd/system/${unit}; systemctl daemon-reload`] : []),
          `rm -f ${q(PERSIST_SCRIPT(s.br))}`,
        ],
      };
    }
  }
}

/** --explain of the switch: the backend's commands, run by a detached script that rolls them back unless confirmed. */
function switchExplain(s: SwitchSpec): string {
  const { up, down } = backendSwitch(s);
  return [
    `# run by a script started detached on the host (setsid nohup sh ${runDir(s.br)}/switch.sh): the SSH session may drop meanwhile`,
    plainShell(up.join('\n')),
    `# unless kvplay confirms within ${s.timeout} s (it reconnects over ${s.br}), the script undoes it:`,
    plainShell(down.join('\n')).split('\n').map((l) => `#   ${l}`).join('\n'),
  ].join('\n');
}

/** The detached script. Status file: running -> switched -> committed | rolled-back | failed: ... */
export function switchScript(s: SwitchSpec): string {
  const { up, down } = backendSwitch(s);
  const brQ = q(s.br);
  const nicQ = q(s.nic);
  const firstV4 = s.addrs.find((a) => a.family === 'inet')?.cidr.split('/')[0];
  return [
    '#!/bin/sh',
    `# kvplay bridge switch: ${s.br} over ${s.nic} (${s.backend}), rollback after ${s.timeout}s without confirmation`,
    `D=${q(runDir(s.br))}`,
    'st() { echo "$1" > "$D/status.tmp" && mv -f "$D/status.tmp" "$D/status"; }',
    'log() { echo "$(date +%T) $*" >> "$D/log"; }',
    `up() {\n  set -x\n  ${up.join('\n  ')}\n}`,
    `down() {\n  set -x\n  ${down.join('\n  ')}\n}`,
    'check() {',
    `  [ "$(basename "$(readlink /sys/class/net/${s.nic}/master 2>/dev/null)")" = ${brQ} ] || return 1`,
    firstV4 ? `  ip -4 addr show dev ${brQ} | grep -q ${q(`inet ${firstV4}/`)} || return 1` : '  :',
    '}',
    'st running',
    `log "switch ${s.br} over ${s.nic} (${s.backend})"`,
    // NetworkManager activates asynchronously ("master waiting for slaves"): the port joins and
    // the address appears some seconds after nmcli returns, so the state is polled, not checked once
    `settle() { i=0; while [ $i -lt ${SETTLE_S * 10} ]; do check && return 0; sleep 0.1; i=$((i+1)); done; check; }`,
    'if ( up ) >> "$D/log" 2>&1 && settle; then st switched; else log "switch failed: rolling back"; ( down ) >> "$D/log" 2>&1; st "failed: the switch did not complete (rolled back)"; exit 1; fi',
    `i=0; while [ $i -lt ${s.timeout * 10} ]; do [ -f "$D/confirm" ] && break; sleep 0.1; i=$((i+1)); done`,
    'if [ -f "$D/confirm" ]; then st committed; log committed; exit 0; fi',
    `log "no confirmation from the controller within ${s.timeout}s: rolling back"`,
    '( down ) >> "$D/log" 2>&1',
    'st rolled-back',
    `ip link show ${nicQ} >/dev/null 2>&1`,
    'exit 0',
    '',
  ].join('\n');
}

/** The three steps: start the detached script, wait for `switched` (its answer crossing the new path), confirm. */
export function switchSteps(s: SwitchSpec): Step[] {
  const d = q(runDir(s.br));
  const start = [
    'set -e',
    `D=${d}`,
    'rm -rf "$D" && mkdir -p "$D"',
    'cat > "$D/switch.sh"',
    'cd /',
    'if command -v setsid >/dev/null 2>&1; then setsid nohup sh "$D/switch.sh" > "$D/out" 2>&1 < /dev/null & else nohup sh "$D/switch.sh" > "$D/out" 2>&1 < /dev/null & fi',
    'echo started',
  ].join('\n');
  const wait = [
    `D=${d}; i=0`,
    `while [ $i -lt ${REPORT_S * 10} ]; do`,
    '  s=$(cat "$D/status" 2>/dev/null)',
    '  case "$s" in switched|committed) echo "$s"; exit 0 ;; failed*|rolled-back) echo "$s" >&2; tail -n 20 "$D/log" >&2; exit 1 ;; esac',
    '  sleep 0.1; i=$((i+1))',
    'done',
    `echo "the switch script did not report within ${REPORT_S}s" >&2; tail -n 20 "$D/log" >&2; exit 1`,
  ].join('\n');
  const confirm = [
    `D=${d}`,
    's=$(cat "$D/status" 2>/dev/null)',
    'case "$s" in switched|committed) ;; *) echo "confirmation too late: $s" >&2; tail -n 20 "$D/log" >&2; exit 1 ;; esac',
    'touch "$D/confirm"',
    'i=0; while [ $i -lt 100 ]; do s=$(cat "$D/status"); [ "$s" = committed ] && { echo committed; exit 0; }; [ "$s" = rolled-back ] && break; sleep 0.1; i=$((i+1)); done',
    'echo "not committed: $s" >&2; tail -n 20 "$D/log" >&2; exit 1',
  ].join('\n');
  return [
    { desc: `start the ${s.backend} switch of ${s.nic} to ${s.br} (detached, rollback after ${s.timeout}s)`, cmd: start, stdin: switchScript(s), explain: switchExplain(s) },
    { desc: `wait for ${s.br} to carry ${s.addrs.map((a) => a.cidr).join(', ') || 'the link'}`, cmd: wait, explain: `cat ${d}/status   # every 0.1 s, until the script says "switched" (or failed and rolled back)` },
    { desc: `confirm ${s.br} (the host answered over it)`, cmd: confirm, explain: `touch ${d}/confirm   # kvplay reached the host again: the script keeps the new setup` },
  ];
}
