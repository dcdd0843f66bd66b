/**
 * The facts of migrate and cold_migrate, each a command plus a pure parser (tested from output
 * recorded on the lab, test/modules/fixtures/migrate/):
 *   location  - the guest's state here and on the target (over root's SSH trust), its XML here;
 *               after the move also `virsh list --all` on both hosts and the completed job's numbers
 *   preflight - the probe of both hosts (virt/preflight.ts) run AT ONCE: a nonce file is written
 *               next to each of the guest's paths first, so the target's probe can tell shared storage
 * Both run their parts in parallel in one round trip (the SSH login to the target is the slow part).
 */
import { randomBytes } from 'node:crypto';
import { q } from '../../util/quote.js';
import { ModuleFailure } from '../../util/errors.js';
import type { ExplainCheck, Fact } from '../../engine/module/types.js';
import type { DomainInfo } from './domxml.js';
import { remoteScript, sshTo } from './ops.js';
import { checkPreflight, guestPaths, nonceCleanup, parseProbe, probeScript, type HostProbe, type PreflightOpts } from './preflight.js';
import { parseDomstate, parseJobInfo, virsh, type DomState, type JobInfo } from './virsh.js';
import { hasSections, parseSections, sectionScript } from '../../facts/sections.js';

/** States that count as "the guest is up" */
export const ON: readonly DomState[] = ['running', 'paused', 'idle', 'blocked', 'in shutdown'];

export interface Location {
  here: DomState | null;
  /** undefined: unknown (libvirt on the target did not answer) */
  there: DomState | null | undefined;
  /** SSH to the target failed: the last line of ssh's error */
  sshError?: string;
  /** this host could not be asked (virsh missing, a libvirt error): what went wrong */
  error?: string;
  /** the guest's XML here (live when running; --inactive when asked), when defined */
  xml?: string;
  /** `virsh list --all` on both hosts (when asked) */
  list?: { source: string; target: string };
  /** the target's completed job (`domjobinfo --completed` over the migration URI, when asked) */
  job?: JobInfo;
}

export interface LocationOpts {
  /** read the XML here (default true); --inactive: the persistent definition */
  xml?: boolean;
  inactiveXml?: boolean;
  lists?: boolean;
  /** read the completed migration job on the target through this URI */
  jobUri?: string;
}

export function sshTrustError(source: string, target: string, err: string): string {
  return `SSH from ${source} to ${target} as root without a password failed: ${err} (set up the trust first: ssh_trust role; qemu+ssh needs it)`;
}

/** A plan's refusal: nothing ran; the engine reports the message and `data` (step, preflight...). */
export const refuse = (msg: string, data: Record<string, unknown>) => new ModuleFailure(msg, { changed: false, ...data });

const lastLine = (s: string) => s.trim().split('\n').pop() ?? '';

/** Where is the guest: its state here and on the target, and its XML here. */
export function locationFact(name: string, target: string, o: LocationOpts = {}): Fact<Location> {
  const n = q(name);
  const cmds: [string, string][] = [['here', `virsh domstate ${n}`]];
  if (o.xml !== false) cmds.push(['xml', `virsh dumpxml ${o.inactiveXml ? '--inactive ' : ''}${n}`]);
  cmds.push(['there', `${sshTo(target, { probe: true })} virsh domstate ${n}`]);
  if (o.lists) cmds.push(['list_here', 'virsh list --all'], ['list_there', `${sshTo(target, { probe: true })} virsh list --all`]);
  if (o.jobUri) cmds.push(['job', `${virsh(o.jobUri)} domjobinfo ${n} --completed`]);
  return {
    cmd: sectionScript(cmds, { mode: 'parallel' }),
    parse: (r) => parseLocation(name, r.stdout, r.code),
    explain: (loc) => locationChecks(name, target, loc),
  };
}

export function parseLocation(name: string, stdout: string, code = 0): Location {
  const s = parseSections(stdout);
  if (!s.here || !s.there) return { here: null, there: undefined, error: `domain location: no output (rc=${code}): ${lastLine(stdout)}` };
  if (s.here.rc === 127) return { here: null, there: undefined, error: 'virsh is not installed on this host (libvirt_host role: libvirt-clients, libvirt-daemon-system)' };
  let here: DomState | null;
  try {
    here = parseDomstate(s.here, name);
  } catch (e) {
    return { here: null, there: undefined, error: (e as Error).message };
  }
  const loc: Location = { here, there: undefined, ...(s.xml?.rc === 0 ? { xml: s.xml.out } : {}) };
  if (s.there.rc === 255) loc.sshError = lastLine(s.there.out) || 'ssh failed';
  else {
    try {
      loc.there = parseDomstate(s.there, name);
    } catch {
      loc.there = undefined; // the preflight reports libvirt errors on the target
    }
  }
  if (s.list_here && s.list_there) loc.list = { source: s.list_here.out.trim(), target: s.list_there.out.trim() };
  if (s.job?.rc === 0) loc.job = parseJobInfo(s.job.out);
  return loc;
}

/** --explain: `virsh domstate` here and over ssh on the target. */
export function locationChecks(name: string, target: string, loc: Location): ExplainCheck[] {
  const n = q(name);
  if (loc.error) return [{ cmd: `virsh domstate ${n}`, found: loc.error }];
  return [
    { cmd: `virsh domstate ${n}`, found: loc.here ?? 'not defined here' },
    { cmd: `ssh root@${q(target)} virsh domstate ${n}`, found: loc.sshError !== undefined ? `ssh failed: ${loc.sshError}` : loc.there === undefined ? 'libvirt on the target did not answer' : loc.there ?? 'not defined there' },
  ];
}

export interface Probes {
  src?: HostProbe;
  dst?: HostProbe;
  /** SSH to the target failed */
  sshError?: string;
  /** the probe did not run */
  error?: string;
}

export interface PreflightIn {
  name: string;
  guest: DomainInfo;
  source: string;
  target: string;
  opts: PreflightOpts;
  /** the nonce file's name (default: random) */
  nonce?: string;
}

/** The probe of both hosts, at once (nonce files written first, always removed). */
export function preflightFact(i: PreflightIn): Fact<Probes> {
  const g = i.guest;
  const paths = guestPaths(g);
  const nonce = i.nonce ?? `.kvplay-shared-check-${randomBytes(6).toString('hex')}`;
  const uniq = <T>(a: T[]) => [...new Set(a)];
  const base = {
    name: i.name,
    bridges: uniq(g.interfaces.filter((x) => x.type === 'bridge' && x.bridge).map((x) => x.bridge!)),
    networks: uniq(g.interfaces.filter((x) => x.type === 'network' && x.network).map((x) => x.network!)),
    paths,
    nonce: { file: nonce, create: false },
  };
  const live = i.opts.mode !== 'cold';
  const src = probeScript(base);
  const dst = probeScript({ ...base, ...(g.cpuXml && live ? { cpuXml: g.cpuXml, virtType: g.type } : {}) });
  const dirs = uniq(paths.map((p) => p.replace(/\/[^/]*$/, '') || '/'));
  const cmd = [
    // the nonce next to each path (where its directory exists here): the target's probe looks for it
    ...dirs.map((d) => `[ -d ${q(d)} ] && : > ${q(`${d}/${nonce}`)} 2>/dev/null`),
    // each probe's own sections inside ours: every line prefixed with '|' (its markers stay its own)
    `( ${sectionScript([['src', `sh -c ${q(src)} 2>&1 | sed 's/^/|/'`], ['dst', `printf '%s\\n' ${q(dst)} | ${remoteScript(i.target, { probe: true })} 2>&1 | sed 's/^/|/'`]], { mode: 'parallel' })}\n)`,
    `( ${nonceCleanup(paths, nonce)}\n)`,
    'exit 0',
  ].join('\n');
  return {
    cmd,
    parse: (r) => parseProbes(i.source, i.target, r.stdout, r.code),
    explain: (v) => preflightChecks(i, v),
  };
}

export function parseProbes(source: string, target: string, stdout: string, code = 0): Probes {
  const s = parseSections(stdout);
  if (!s.src || !s.dst) return { error: `preflight probe: no output (rc=${code}): ${lastLine(stdout)}` };
  const inner = (t: string) => t.split('\n').map((l) => (l.startsWith('|') ? l.slice(1) : l)).join('\n');
  const src = parseProbe(source, inner(s.src.out));
  const dst = inner(s.dst.out);
  // ssh failed before the target's script printed anything: its error is all there is
  if (!hasSections(dst)) return { src, sshError: lastLine(dst) || 'ssh failed' };
  return { src, dst: parseProbe(target, dst) };
}

/** The preflight's verdict from the probes (virt/preflight.ts checkPreflight); SSH and probe failures as errors. */
export function preflightOf(i: Omit<PreflightIn, 'nonce'>, p: Probes): ReturnType<typeof checkPreflight> {
  const none = { notes: [], shared: [], toCopy: [] };
  if (p.error) return { errors: [p.error], ...none };
  if (p.sshError !== undefined || !p.src || !p.dst) return { errors: [sshTrustError(i.source, i.target, p.sshError ?? '')], ...none };
  return checkPreflight(i.guest, p.src, p.dst, i.opts);
}

/** --explain: the preflight as the checks of the manual procedure, and its verdict. */
export function preflightChecks(i: Omit<PreflightIn, 'nonce'>, p: Probes): ExplainCheck[] {
  const pf = preflightOf(i, p);
  const t = q(i.target);
  const live = i.opts.mode !== 'cold';
  const cmd = [
    `ssh root@${t} virsh list --all   # no domain ${i.name} there yet`,
    ...(live ? [`grep -c -w nx /proc/cpuinfo; ssh root@${t} grep -c -w nx /proc/cpuinfo   # same NX flag`, `virsh hypervisor-cpu-compare ...   # on ${i.target}: it can run the guest's CPU`] : []),
    `# and: the same bridges, networks, pools and paths on ${i.target}, storage really shared (a file written here is seen there)`,
  ].join('\n');
  return [{ cmd, found: pf.errors.length ? `failed: ${pf.errors.join('; ')}` : `all passed${pf.notes.length ? ` (${pf.notes.join('; ')})` : ''}` }];
}
