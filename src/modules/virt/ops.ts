/**
 * Shell snippets for domain life-cycle operations (pure strings, every value quoted):
 * graceful shutdown with a forced fallback, start, and the qemu+ssh URI of a peer KVM host
 * (reached over root's SSH trust: sshTo in src/facts/virsh.ts).
 */
import { q } from '../../util/quote.js';
import { virsh } from '../../facts/virsh.js';

/**
 * Graceful shutdown (ACPI power button via `virsh shutdown`, pressed again every 5 s for a
 * guest that was still booting), polled every second; after
 * `timeout` seconds `virsh destroy` forces it off. Prints `graceful after Ns` or `forced after Ns`.
 */
export function shutdownScript(name: string, timeout: number, uri?: string): string {
  const v = virsh(uri);
  const n = q(name);
  return [
    `s=$(${v} domstate ${n} 2>&1) || { echo "$s" >&2; exit 1; }`,
    `[ "$s" = "shut off" ] && { echo "already shut off"; exit 0; }`,
    `${v} shutdown ${n} >/dev/null || echo "virsh shutdown failed: forcing" >&2`,
    `i=0`,
    `while [ "$i" -lt ${Math.max(0, Math.floor(timeout))} ]; do`,
    `  [ "$(${v} domstate ${n} 2>/dev/null)" = "shut off" ] && { echo "graceful after \${i}s"; exit 0; }`,
    `  sleep 1; i=$((i+1))`,
    // a guest still booting misses the ACPI event: press the button again every 5 s
    `  [ $((i % 5)) -eq 0 ] && ${v} shutdown ${n} >/dev/null 2>&1`,
    `done`,
    `[ "$(${v} domstate ${n} 2>/dev/null)" = "shut off" ] && { echo "graceful after \${i}s"; exit 0; }`,
    `${v} destroy ${n} >/dev/null && echo "forced after \${i}s (no graceful shutdown within ${timeout}s: virsh destroy)"`,
  ].join('\n');
}

/** Destroy (if not shut off) then start: the "restart" of the manual procedure. */
export function restartScript(name: string, mode: 'destroy' | 'shutdown', timeout: number): string {
  const n = q(name);
  const stop = mode === 'shutdown' ? shutdownScript(name, timeout) : `[ "$(virsh domstate ${n})" = "shut off" ] || virsh destroy ${n}`;
  return `set -e\n( ${stop}\n)\nvirsh start ${n}`;
}

/** The default libvirt URI of a KVM host reached over SSH. */
export function qemuSshUri(target: string): string {
  return `qemu+ssh://${target}/system`;
}
