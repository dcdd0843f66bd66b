/**
 * What migrate and cold_migrate share at run time: commands on the source host (the task's
 * transport) and on the target (through root's SSH trust), where the guest is, and the
 * preflight probe of both hosts.
 */
import { randomBytes } from 'node:crypto';
import { q } from '../../util/quote.js';
import type { Become, ExecResult, Transport } from '../../transport/types.js';
import type { DomainInfo } from './domxml.js';
import { remoteScript, sshTo } from './ops.js';
import { checkPreflight, guestPaths, nonceCleanup, parseProbe, probeScript, type HostProbe, type Preflight, type PreflightOpts } from './preflight.js';
import { parseDomstate, sectionScript, sectionsOf, type DomState } from './virsh.js';

export interface RunCtx {
  t: Transport;
  become: Become | null;
}

export function run(c: RunCtx, cmd: string, stdin?: string | Buffer): Promise<ExecResult> {
  return c.t.exec(cmd, { become: c.become, ...(stdin !== undefined ? { stdin } : {}) });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** States that count as "the guest is up" */
export const ON: DomState[] = ['running', 'paused', 'idle', 'blocked', 'in shutdown'];

export interface Location {
  here: DomState | null;
  /** undefined: unknown (libvirt on the target did not answer) */
  there: DomState | null | undefined;
  /** SSH to the target failed: the last line of ssh's error */
  sshError?: string;
  /** the guest's XML here (live when running), when defined */
  xml?: string;
}

/** Where is the guest: its state here and on the target, and its XML here. */
export async function locate(c: RunCtx, name: string, target: string, opts: { inactiveXml?: boolean } = {}): Promise<Location> {
  // at once: the SSH login to the target is the slow part, the virsh calls here run meanwhile
  const r = await run(c, sectionScript([
    ['here', `virsh domstate ${q(name)}`],
    ['xml', `virsh dumpxml ${opts.inactiveXml ? '--inactive ' : ''}${q(name)}`],
    ['there', `${sshTo(target, { probe: true })} virsh domstate ${q(name)}`],
  ], { parallel: true }));
  const s = sectionsOf(r, 'domain location');
  if (s.here.rc === 127) throw new Error('virsh is not installed on this host (libvirt_host role: libvirt-clients, libvirt-daemon-system)');
  const here = parseDomstate(s.here, name);
  const loc: Location = { here, there: undefined, ...(s.xml.rc === 0 ? { xml: s.xml.out } : {}) };
  if (s.there.rc === 255) loc.sshError = s.there.out.trim().split('\n').pop() ?? 'ssh failed';
  else {
    try {
      loc.there = parseDomstate(s.there, name);
    } catch {
      loc.there = undefined; // the preflight reports libvirt errors on the target
    }
  }
  return loc;
}

export function sshTrustError(source: string, target: string, err: string): string {
  return `SSH from ${source} to ${target} as root without a password failed: ${err} (set up the trust first: ssh_trust role; qemu+ssh needs it)`;
}

/** Probe both hosts and compare (see preflight.ts). The nonce files are always removed. */
export async function runPreflight(c: RunCtx, name: string, g: DomainInfo, source: string, target: string, o: PreflightOpts): Promise<Preflight & { src?: HostProbe; dst?: HostProbe }> {
  const paths = guestPaths(g);
  const nonce = `.kvplay-shared-check-${randomBytes(6).toString('hex')}`;
  const uniq = <T>(a: T[]) => [...new Set(a)];
  const base = {
    name,
    bridges: uniq(g.interfaces.filter((i) => i.type === 'bridge' && i.bridge).map((i) => i.bridge!)),
    networks: uniq(g.interfaces.filter((i) => i.type === 'network' && i.network).map((i) => i.network!)),
    paths,
  };
  try {
    const rs = await run(c, 'sh -s', probeScript({ ...base, nonce: { file: nonce, create: true } }));
    const src = parseProbe(source, rs.stdout);
    const rt = await run(c, remoteScript(target, { probe: true }), probeScript({ ...base, nonce: { file: nonce, create: false }, ...(g.cpuXml && o.mode !== 'cold' ? { cpuXml: g.cpuXml, virtType: g.type } : {}) }));
    if (rt.code === 255 && !rt.stdout.includes('@@kvplay-section')) {
      return { errors: [sshTrustError(source, target, rt.stderr.trim().split('\n').pop() ?? '')], notes: [], shared: [], toCopy: [] };
    }
    const dst = parseProbe(target, rt.stdout);
    return { ...checkPreflight(g, src, dst, o), src, dst };
  } finally {
    await run(c, nonceCleanup(paths, nonce));
  }
}
