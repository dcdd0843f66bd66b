/**
 * Shell snippets for domain life-cycle operations (pure strings, every value quoted):
 * graceful shutdown with a forced fallback, start, and "run this on another KVM host over
 * the root SSH trust" (the same trust qemu+ssh migration uses).
 */
import { q } from '../../util/quote.js';
import { virsh } from './virsh.js';

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

export interface SshOpts {
  /** seconds for the TCP connect; default 10 */
  connectTimeout?: number;
  /**
   * A short probe that carries nothing worth protecting (a domain state, the preflight's host
   * facts): curve25519 key exchange first. OpenSSH 9's default, sntrup761x25519, costs ~0.2 s of
   * CPU per login on a busy host and protects the session's data against later decryption; a
   * probe's answer does not need that. Only where the client accepts the '^' syntax (OpenSSH
   * >= 8.2, asked with `ssh -G`, which connects nowhere); else ssh's own order.
   */
  probe?: boolean;
}

/** ssh options (as words) choosing curve25519 key exchange first, when this ssh client accepts them: see SshOpts.probe. */
export const PROBE_KEX = `$(ssh -G -o KexAlgorithms=^curve25519-sha256 kvplay.invalid >/dev/null 2>&1 && echo -o KexAlgorithms=^curve25519-sha256)`;

/** `ssh ... TARGET` prefix: root's key only (BatchMode: never a password prompt). */
export function sshTo(target: string, o: SshOpts = {}): string {
  return `ssh ${o.probe ? `${PROBE_KEX} ` : ''}-o BatchMode=yes -o ConnectTimeout=${o.connectTimeout ?? 10} -o ServerAliveInterval=5 -o ServerAliveCountMax=3 -- ${q(target)}`;
}

/** Run a sh script on TARGET through SSH: `ssh TARGET sh -s` with the script on stdin. */
export function remoteScript(target: string, o: SshOpts = {}): string {
  return `${sshTo(target, o)} sh -s`;
}

/** The default libvirt URI of a KVM host reached over SSH. */
export function qemuSshUri(target: string): string {
  return `qemu+ssh://${target}/system`;
}
