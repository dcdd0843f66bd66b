/**
 * The lab guest's userland, as text: /init (busybox sh), the ACPI power-button handler, and
 * the kernel-module load order. Pure: the builder (build.ts) packs these into the initramfs.
 *
 * What the guest does (everything observable from outside):
 * - loads the virtio modules (PCI, block, net) in dependency order, plus evdev + button so
 *   that busybox acpid turns an ACPI power-button press (`virsh shutdown`) into a clean poweroff;
 * - reads its settings from the kernel command line: kvplay.name=NAME kvplay.ip=ADDR/PREFIX
 *   [kvplay.gw=GATEWAY] [kvplay.dirty=MIB];
 * - with kvplay.dirty=MIB, keeps rewriting MIB of its memory (a tmpfs file, non-zero data, so
 *   QEMU's zero-page shortcut does not apply): a guest whose live migration does not converge on
 *   a slow link (docs/tutorial/08-non-convergence.md);
 * - serves /www over HTTP (busybox httpd, port 80): /counter holds the current tick;
 * - counts one tick per second, printing `kvplay-guest NAME tick N` on the serial console
 *   (libvirt writes it to a file) and storing `kvplay-counter N` in the first 64 bytes of its
 *   disk (/dev/vda). At boot it continues from the number on the disk, so a cold-migrated
 *   guest shows it kept its disk, and a live-migrated one shows an unbroken sequence.
 */

/** Modules the guest needs (their dependencies are added by the builder). */
export const GUEST_MODULES = ['virtio_pci', 'virtio_blk', 'virtio_net', 'evdev', 'button'];

/** `depends=a,b` from a .ko file's .modinfo section (null-separated key=value strings). */
export function moduleDepends(ko: Buffer): string[] {
  const key = Buffer.from('\0depends=');
  const i = ko.indexOf(key);
  if (i < 0) return [];
  const start = i + key.length;
  const end = ko.indexOf(0, start);
  const v = ko.toString('utf8', start, end < 0 ? undefined : end).trim();
  return v ? v.split(',').map((s) => s.trim()).filter(Boolean) : [];
}

/** Dependencies first (stable: keeps the wanted order where it can). Throws on a cycle or a missing module. */
export function loadOrder(wanted: string[], deps: Map<string, string[]>): string[] {
  const out: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (m: string, chain: string[]) => {
    const s = state.get(m);
    if (s === 'done') return;
    if (s === 'visiting') throw new Error(`module dependency cycle: ${[...chain, m].join(' -> ')}`);
    const d = deps.get(m);
    if (!d) throw new Error(`kernel module ${m} not found (needed by ${chain.at(-1) ?? 'the guest'})`);
    state.set(m, 'visiting');
    for (const x of d) visit(x, [...chain, m]);
    state.set(m, 'done');
    out.push(m);
  };
  for (const m of wanted) visit(m, []);
  return out;
}

export const ACPI_POWER_HANDLER = `#!/bin/sh
echo "kvplay-guest: ACPI power button: powering off"
sync
poweroff -f
`;

export const INIT_SCRIPT = `#!/bin/busybox sh
# kvplay lab guest: see src/guest/init.ts
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /tmp /www /var/log
for m in $(cat /etc/modules.order); do
  insmod "/lib/modules/$m.ko" || echo "kvplay-guest: insmod $m failed"
done
arg() { for w in $(cat /proc/cmdline); do case "$w" in "$1"=*) echo "\${w#*=}";; esac; done; }
NAME=$(arg kvplay.name); IP=$(arg kvplay.ip); GW=$(arg kvplay.gw)
NAME=\${NAME:-kvplay-guest}
hostname "$NAME"
ip link set lo up
i=0; while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
if [ -e /sys/class/net/eth0 ]; then
  ip link set eth0 up
  [ -n "$IP" ] && ip addr add "$IP" dev eth0
  [ -n "$GW" ] && ip route add default via "$GW"
else
  echo "kvplay-guest: no eth0"
fi
acpid
echo "$NAME" > /www/index.html
httpd -p 80 -h /www
N=0
if [ -b /dev/vda ]; then
  s=$(dd if=/dev/vda bs=64 count=1 2>/dev/null | tr -d '\\000')
  case "$s" in
    "kvplay-counter "[0-9]*) N=\${s#kvplay-counter }; N=\${N%% *}; case "$N" in *[!0-9]*|'') N=0;; esac;;
  esac
fi
echo "kvplay-guest $NAME up: ip \${IP:-none}, counter continues from $N"
D=$(arg kvplay.dirty)
case "$D" in ''|*[!0-9]*) D=0;; esac
if [ "$D" -gt 0 ]; then
  echo "kvplay-guest $NAME dirties $D MiB of memory continuously"
  ( while :; do yes kvplay-dirty-page | head -c $((D * 1048576)) > /tmp/dirty; done ) &
fi
while :; do
  N=$((N+1))
  echo "$N" > /www/counter
  echo "kvplay-guest $NAME tick $N"
  [ -b /dev/vda ] && printf 'kvplay-counter %s \\n' "$N" | dd of=/dev/vda bs=64 count=1 conv=notrunc,sync,fsync 2>/dev/null
  sleep 1
done
`;
