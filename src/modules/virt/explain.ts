/**
 * --explain for the libvirt modules (pure): their sectioned fact scripts and their temp-file and
 * retry-loop steps as the virsh commands a student would type (src/engine/module/explain.ts for
 * the general rules). They describe the commands kvplay runs; none of them is run.
 */
import { q } from '../../util/quote.js';
import type { ExplainCheck } from '../../engine/module/types.js';
import { catInto } from '../../engine/module/explain.js';
import type { DomState } from '../../facts/virsh.js';

/** `virsh define` / `pool-define` of XML kvplay feeds on stdin, as the two commands it means. */
export function defineExplain(kind: 'pool' | 'domain', xml: string): string {
  const file = `/tmp/kvplay-${kind}.xml`;
  return `${catInto(file, xml)}\nvirsh ${kind === 'pool' ? 'pool-define' : 'define'} ${file}`;
}

/** The graceful shutdown loop (virt/ops.ts shutdownScript) in words and commands. */
export function shutdownExplain(name: string, timeout: number): string {
  const n = q(name);
  return `virsh shutdown ${n}   # then virsh domstate ${n} every second (shutdown again every 5 s) until "shut off"; after ${Math.floor(timeout)} s: virsh destroy ${n}`;
}

/** restartScript: stop (shutdown or destroy), then start. */
export function restartExplain(name: string, mode: 'destroy' | 'shutdown', timeout: number): string {
  const n = q(name);
  return `${mode === 'shutdown' ? shutdownExplain(name, timeout) : `virsh destroy ${n}   # unless already shut off`}\nvirsh start ${n}`;
}

/** domain_xml's backup of the persistent XML before an edit. */
export function xmlBackupExplain(dir: string, name: string): string {
  const d = q(dir);
  return `mkdir -p ${d}; chmod 700 ${d}\nvirsh dumpxml --inactive ${q(name)} > ${d}/${q(name)}.$(date +%Y%m%dT%H%M%S).xml`;
}

const xmlFound = (xml: string | undefined, what: string) => (xml === undefined ? 'not read' : `${Buffer.byteLength(xml)} bytes of XML (${what})`);

/** libvirt_domain's facts. */
export function domainChecks(name: string, f: { missingVirsh?: boolean; state: DomState | null; autostart?: boolean; xml?: string }): ExplainCheck[] {
  const n = q(name);
  if (f.missingVirsh) return [{ cmd: 'command -v virsh', found: 'virsh is not installed' }];
  if (f.state === null) return [{ cmd: `virsh domstate ${n}`, found: `no domain ${name}` }];
  return [
    { cmd: `virsh domstate ${n}`, found: f.state },
    { cmd: `virsh dominfo ${n}`, found: `autostart ${f.autostart ? 'on' : 'off'}` },
    { cmd: `virsh dumpxml --inactive ${n}`, found: xmlFound(f.xml, 'compared with the wanted definition') },
  ];
}

/** domain_xml's facts. */
export function domainXmlChecks(name: string, f: { missingVirsh?: boolean; state: DomState | null; inactive?: string; live?: string }): ExplainCheck[] {
  const n = q(name);
  if (f.missingVirsh) return [{ cmd: 'command -v virsh', found: 'virsh is not installed' }];
  if (f.state === null) return [{ cmd: `virsh domstate ${n}`, found: `no domain ${name}` }];
  return [
    { cmd: `virsh domstate ${n}`, found: f.state },
    { cmd: `virsh dumpxml --inactive ${n}`, found: xmlFound(f.inactive, 'the persistent definition, edited') },
    ...(f.live !== undefined && f.state !== 'shut off' ? [{ cmd: `virsh dumpxml ${n}`, found: xmlFound(f.live, 'what the running guest uses') }] : []),
  ];
}

/** libvirt_pool's facts. */
export function poolChecks(name: string, target: string, f: { missingVirsh?: boolean; info: { exists: boolean; state?: string; autostart?: boolean }; xml?: string; targetExists: boolean }): ExplainCheck[] {
  const n = q(name);
  if (f.missingVirsh) return [{ cmd: 'command -v virsh', found: 'virsh is not installed' }];
  const out: ExplainCheck[] = [{ cmd: `virsh pool-info ${n}`, found: f.info.exists ? `${f.info.state ?? 'unknown state'}, autostart ${f.info.autostart ? 'on' : 'off'}` : `no pool ${name}` }];
  if (f.info.exists) out.push({ cmd: `virsh pool-dumpxml --inactive ${n}`, found: xmlFound(f.xml, 'compared with the wanted definition') });
  out.push({ cmd: `test -d ${q(target)} && echo yes`, found: f.targetExists ? 'yes' : 'no: the target directory is missing' });
  return out;
}
