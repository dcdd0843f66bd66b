/**
 * The preflight fact of migrate and cold_migrate, a command plus a pure parser (tested from output
 * recorded on the lab, test/fixtures/migrate/; the location fact is src/facts/virsh.ts):
 *   preflight - the probe of both hosts (virt/preflight.ts) run AT ONCE: a nonce file is written
 *               next to each of the guest's paths first, so the target's probe can tell shared storage
 * It runs its parts in parallel in one round trip (the SSH login to the target is the slow part).
 */
import { randomBytes } from 'node:crypto';
import { q } from '../../util/quote.js';
import { ModuleFailure } from '../../util/errors.js';
import type { ExplainCheck, Fact } from '../../engine/module/types.js';
import { parseDomain, type DomainInfo } from './domxml.js';
import { checkPreflight, guestPaths, nonceCleanup, parseProbe, probeScript, type HostProbe, type PreflightOpts } from './preflight.js';
import { remoteScript, type Location } from '../../facts/virsh.js';
import { str } from '../../engine/module/schema.js';
import { hasSections, lastLine, parseSections, sectionScript } from '../../facts/sections.js';

/** The parameters of both migration modules: the guest, and where it goes (required in both). */
export const guestMoveProps = {
  name: str('Domain name.'),
  target: str('Target KVM host, as root on this host reaches it by SSH (e.g. kvm2).'),
};

export function sshTrustError(source: string, target: string, err: string): string {
  return `SSH from ${source} to ${target} as root without a password failed: ${err} (set up the trust first: ssh_trust role; qemu+ssh needs it)`;
}

/** A plan's refusal: nothing ran; the engine reports the message and `data` (step, preflight...). */
export const refuse = (msg: string, data: Record<string, unknown>) => new ModuleFailure(msg, { changed: false, ...data });

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

/** moreFacts of migrate and cold_migrate: the preflight of the guest (its XML here), only when `needed` by the location. */
export function preflightWhen(needed: boolean, name: string, loc: Location, source: string, target: string, opts: () => PreflightOpts): Record<string, Fact<unknown>> {
  if (!needed) return {};
  const guest = parseDomain(loc.xml!, `XML of ${name}`);
  return { probes: preflightFact({ name, guest, source, target, opts: opts() }) };
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
