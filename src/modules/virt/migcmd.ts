/**
 * Live migration commands and diagnosis (pure): the `virsh migrate` command line from the
 * module's options, the detached runner script, and the explanation of a failure (which
 * step failed, and what to do about it).
 */
import { q } from '../../util/quote.js';

export interface MigrateOptions {
  name: string;
  uri: string;
  persistent: boolean;
  undefineSource: boolean;
  autoConverge: boolean;
  postcopy: boolean;
  compressed: boolean;
  bandwidth?: number;
  copyStorage?: 'all' | 'inc';
  unsafe: boolean;
  /** libvirt-side timeout actions (suspend/postcopy); abort is done by the module */
  timeout?: number;
  timeoutAction: 'abort' | 'suspend' | 'postcopy';
}

/** argv of `virsh migrate` (quoted when joined). */
export function migrateArgs(o: MigrateOptions): string[] {
  const a = ['virsh', 'migrate', '--live'];
  if (o.persistent) a.push('--persistent');
  if (o.undefineSource) a.push('--undefinesource');
  if (o.autoConverge) a.push('--auto-converge');
  if (o.postcopy) a.push('--postcopy', '--postcopy-after-precopy');
  if (o.compressed) a.push('--compressed');
  if (o.bandwidth !== undefined) a.push('--bandwidth', String(o.bandwidth));
  if (o.copyStorage === 'all') a.push('--copy-storage-all');
  if (o.copyStorage === 'inc') a.push('--copy-storage-inc');
  if (o.unsafe) a.push('--unsafe');
  if (o.timeout !== undefined && o.timeoutAction !== 'abort') {
    a.push('--timeout', String(o.timeout), o.timeoutAction === 'suspend' ? '--timeout-suspend' : '--timeout-postcopy');
  }
  a.push(o.name, o.uri);
  return a;
}

/**
 * Start the migration DETACHED from the transport's shell (setsid, output to files in DIR):
 * a lost controller connection does not kill it. Prints `dir=... pid=... t0=...`.
 */
export function startScript(o: MigrateOptions, dir: string): string {
  const cmd = migrateArgs(o).map(q).join(' ');
  return [
    `d=${q(dir)}`,
    `date +%s.%N > "$d/t0"`,
    `setsid sh -c ${q(`${cmd} > "$1/log" 2>&1; echo $? > "$1/rc.tmp"; date +%s.%N > "$1/t1"; mv "$1/rc.tmp" "$1/rc"`)} sh "$d" > /dev/null 2>&1 < /dev/null &`,
    `echo "pid=$!"`,
    `echo "t0=$(cat "$d/t0")"`,
  ].join('\n');
}

export interface Diagnosis {
  /** the step that failed, for the message */
  step: string;
  /** what to do */
  hint: string;
}

/** Explain a failed `virsh migrate` from its output. */
export function diagnose(log: string, o: { timedOut: boolean; target: string; source: string; autoConverge: boolean }): Diagnosis {
  const t = log;
  if (o.timedOut || /cancel{1,2}ed by client|operation aborted|job.*(cancel|abort)/i.test(t)) {
    return {
      step: 'memory copy (did not converge in time)',
      hint: `the guest dirties memory faster than the link carries it: try ${o.autoConverge ? '' : 'auto_converge: true, '}a larger max_downtime (ms), postcopy: true, more bandwidth, a longer timeout, or a cold migration`,
    };
  }
  if (/Postcopy is not supported|postcopy.*not supported/i.test(t)) {
    return { step: 'post-copy setup', hint: `QEMU/the kernel on ${o.source} or ${o.target} cannot do post-copy (it needs userfaultfd): drop postcopy and use auto_converge or a larger max_downtime` };
  }
  if (/Cannot get interface MTU|No such device/i.test(t)) return { step: 'network setup on the target', hint: `create the bridge the guest uses on ${o.target}` };
  if (/unsafe/i.test(t)) return { step: 'libvirt safety check', hint: 'the disk is not on storage libvirt knows is shared: use cache none on NFS, copy_storage, or unsafe: true where the storage is shared' };
  if (/Permission denied \(publickey|Host key verification failed|Could not resolve hostname|ssh: connect/i.test(t)) {
    return { step: `SSH connection ${o.source} -> ${o.target}`, hint: `root on ${o.source} must log into ${o.target} by key (ssh_trust role)` };
  }
  if (/Failed to connect socket|failed to connect to the hypervisor|End of file while reading data|Connection reset|Broken pipe|Unable to (read from|write to) (monitor|socket)|Bad file descriptor|connection closed|Input\/output error/i.test(t)) {
    return { step: `connection to libvirt on ${o.target}`, hint: `check that libvirtd runs on ${o.target} (systemctl status libvirtd) and that the network between the hosts works, then retry` };
  }
  if (/already exists/i.test(t)) return { step: 'definition on the target', hint: `a domain of that name appeared on ${o.target}: undefine it there` };
  if (/same host/i.test(t)) return { step: 'host identity', hint: 'both hosts have the same libvirt host UUID: set libvirt_host_uuid per host' };
  if (/No such file|cannot access storage|Could not open/i.test(t)) return { step: 'storage on the target', hint: `the guest's files must be at the same paths on ${o.target} (shared storage), or use copy_storage` };
  return { step: 'virsh migrate', hint: `see the libvirt logs on both hosts (journalctl -u libvirtd; /var/log/libvirt/qemu/NAME.log)` };
}
