/**
 * The virsh facts (libvirt on a KVM host): the `virsh` prefix, parsers of virsh's text output
 * (domstate, dominfo/pool-info, domjobinfo, sizes, errors) and the domain location fact (the
 * guest's state here and on a peer KVM host reached over root's SSH trust, its XML here), each a
 * command plus a pure parser, tested against output recorded on the lab (test/modules/virt/,
 * test/fixtures/migrate/).
 */
import { q } from '../util/quote.js';
import type { ExplainCheck, Fact } from '../engine/module/types.js';
import { lastLine, parseSections, sectionScript, type Section, type Sections } from './sections.js';

/** virsh itself is missing (rc 127 in any section). */
export function virshMissing(s: Sections): boolean {
  return Object.values(s).some((x) => x.rc === 127 && /virsh/.test(x.out));
}

/** Does this virsh error say the object does not exist? */
export function isNotFound(text: string): boolean {
  return /failed to get (domain|pool|network)|Domain not found|Storage pool not found|Network not found|no (domain|storage pool|network) with matching/i.test(text);
}

/** Is the failure "cannot reach libvirt" (daemon down, socket missing)? */
export function isNoDaemon(text: string): boolean {
  return /failed to connect to the hypervisor|Failed to connect socket|libvirt-sock|Connection refused|No such file or directory.*sock/i.test(text);
}

/** virsh's last error message ("error: ..." anywhere in a line, e.g. after progress output), or the text. */
export function virshError(text: string): string {
  const errs: string[] = [];
  for (const line of text.split(/[\n\r]/)) {
    const m = /(?:^|\s|\])error:\s*(.*)$/.exec(line.trim());
    if (m) errs.push(m[1].trim());
  }
  if (errs.length) return errs[errs.length - 1];
  return text.trim().split('\n').filter(Boolean).pop()?.trim() ?? '';
}

export type DomState = 'running' | 'idle' | 'paused' | 'in shutdown' | 'shut off' | 'crashed' | 'pmsuspended' | 'blocked' | 'dying';

/** `virsh domstate NAME`: the state, or null when the domain does not exist. Throws on other errors. */
export function parseDomstate(s: Section, name: string): DomState | null {
  if (s.rc !== 0) {
    if (isNotFound(s.out)) return null;
    throw new Error(`virsh domstate ${name}: ${virshError(s.out)}`);
  }
  const st = s.out.trim().split('\n')[0].trim();
  return st as DomState;
}

/**
 * "Key:   value" lines (dominfo, pool-info, domjobinfo, nodeinfo). The last value of a key wins:
 * a name holding a newline (the Name line comes first) cannot override the keys virsh prints after it.
 */
export function parseKv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([^:]+?):\s*(.*?)\s*$/.exec(line);
    if (m && !/^error/.test(m[1])) out[m[1].trim()] = m[2];
  }
  return out;
}

const SIZE_UNITS: Record<string, number> = {
  b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4, kb: 1000, mb: 1e6, gb: 1e9, tb: 1e12, bytes: 1,
};

/** "69.985 MiB" -> bytes ("0.000 B" -> 0). NaN when unreadable. */
export function parseSize(v: string | undefined): number {
  if (!v) return NaN;
  const m = /^([\d.]+)\s*([A-Za-z]+)?/.exec(v.trim());
  if (!m) return NaN;
  const f = SIZE_UNITS[(m[2] ?? 'b').toLowerCase()];
  return f === undefined ? NaN : Number(m[1]) * f;
}

/** "733          ms" -> 733 */
export function parseMs(v: string | undefined): number {
  if (!v) return NaN;
  const m = /^([\d.]+)\s*(ms|s)?/.exec(v.trim());
  if (!m) return NaN;
  return m[2] === 's' ? Number(m[1]) * 1000 : Number(m[1]);
}

export interface JobInfo {
  /** None, Unbounded, Completed, Failed, Cancelled */
  type: string;
  operation?: string;
  elapsedMs: number;
  dataProcessed: number;
  dataRemaining: number;
  dataTotal: number;
  /** bytes per second */
  bandwidth: number;
  downtimeMs: number;
  iteration: number;
  dirtyRate: number;
  postcopyRequests: number;
}

/** `virsh domjobinfo NAME [--completed]`. */
export function parseJobInfo(text: string): JobInfo {
  const kv = parseKv(text);
  return {
    type: kv['Job type'] ?? 'None',
    ...(kv['Operation'] ? { operation: kv['Operation'] } : {}),
    elapsedMs: parseMs(kv['Time elapsed']),
    dataProcessed: parseSize(kv['Data processed']),
    dataRemaining: parseSize(kv['Data remaining']),
    dataTotal: parseSize(kv['Data total']),
    bandwidth: parseSize((kv['Memory bandwidth'] ?? '').replace(/\/s$/, '')),
    downtimeMs: parseMs(kv['Total downtime']),
    iteration: Number(kv['Iteration'] ?? NaN),
    dirtyRate: Number((kv['Dirty rate'] ?? '').split(/\s+/)[0] || NaN),
    postcopyRequests: Number(kv['Postcopy requests'] ?? 0),
  };
}

/** dominfo / pool-info: { exists, state, autostart, persistent } */
export function parseInfo(s: Section): { exists: boolean; state?: string; autostart?: boolean; persistent?: boolean } {
  if (s.rc !== 0) {
    if (isNotFound(s.out)) return { exists: false };
    throw new Error(virshError(s.out));
  }
  const kv = parseKv(s.out);
  const yes = (v: string | undefined) => (v === undefined ? undefined : /^(yes|enable)/i.test(v));
  return { exists: true, state: kv['State'], autostart: yes(kv['Autostart']), persistent: yes(kv['Persistent']) };
}

/** `virsh -c URI` prefix (empty for the local default). */
export function virsh(uri?: string): string {
  return uri ? `virsh -c ${q(uri)}` : 'virsh';
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
