/**
 * The ONE gate for tests that need something of this machine (root, a real sshd, sudo, the lab,
 * a command on PATH). Where a prerequisite is missing, the tests are registered as SKIPPED with
 * the reason — never run, never counted as passed — and a line
 *   SKIPPED: <test name> -- because: <reason>
 * is printed, which test/run.mjs collects: it lists every skipped test with its reason at the end,
 * and with CI=true it FAILS the run when anything was skipped (CI machines have everything).
 *
 * Use it instead of `if (!isRoot) return` (which counts as a pass):
 *   import { requires } from '../harness/gate.js';
 *   const test = requires({ sshd: true });      // a drop-in for uvu's `test`
 *   test.before(...); test('...', ...); test.run();
 * or for single tests in a file of otherwise unconditional tests:
 *   const rootTest = requires({ root: true });   rootTest('...', ...)
 *
 * Hooks (before/after) of a skipped gate never run, so nothing that needs the prerequisite runs at
 * all; and a failing before hook is printed (uvu itself swallows it and only reports 0 passed).
 *
 * For testing the gate itself ONLY: KVPLAY_TEST_PRETEND_MISSING=root,sshd,sudo,lab,<tool>,<file> makes the
 * gate treat those as missing (test/harness/gate.test.ts). With CI=true such skips fail the run.
 */
import { existsSync } from 'node:fs';
import { test as uvuTest, type Callback, type Test } from 'uvu';
import { preflight } from '../../src/lab/sys.js';

export interface Needs {
  /** Run as root (uid 0). */
  root?: boolean;
  /** A real OpenSSH sshd from test/harness/sshd.ts (needs root, /usr/sbin/sshd, ssh-keygen). */
  sshd?: boolean;
  /** sudo, with root to create test users (createTestUser: useradd, chpasswd, visudo). */
  sudo?: boolean;
  /** The local lab (src/lab: root, Linux, systemd-nspawn and the other tools preflight() checks). */
  lab?: boolean;
  /** Commands that must be on PATH. */
  tools?: string[];
  /** Files that must exist (absolute paths). */
  files?: string[];
}

const PRETEND_ENV = 'KVPLAY_TEST_PRETEND_MISSING';
const pretended = new Set((process.env[PRETEND_ENV] ?? '').split(',').map((s) => s.trim()).filter(Boolean));
const pretend = (what: string) => (pretended.has(what) ? `${what} pretended missing (${PRETEND_ENV})` : '');

function onPath(tool: string): boolean {
  const dirs = (process.env.PATH || '/usr/bin:/bin').split(':').concat(['/usr/sbin', '/sbin']);
  return dirs.some((d) => d !== '' && existsSync(`${d}/${tool}`));
}

function rootReason(): string {
  if (pretend('root')) return pretend('root');
  const uid = process.getuid?.();
  return uid === 0 ? '' : `needs root (running as uid ${uid ?? '?'})`;
}

function toolReason(tool: string, pkg?: string): string {
  if (pretend(tool)) return pretend(tool);
  return onPath(tool) ? '' : `needs ${tool} on PATH${pkg ? ` (apt-get install ${pkg})` : ''}`;
}

function sshdReason(): string {
  if (pretend('sshd')) return pretend('sshd');
  const r = rootReason();
  if (r) return `the test sshd ${r}`;
  if (!existsSync('/usr/sbin/sshd')) return 'needs /usr/sbin/sshd (apt-get install openssh-server)';
  return toolReason('ssh-keygen', 'openssh-client');
}

function sudoReason(): string {
  if (pretend('sudo')) return pretend('sudo');
  const r = rootReason();
  if (r) return `creating a sudo test user ${r}`;
  for (const t of ['sudo', 'visudo']) if (toolReason(t, 'sudo')) return toolReason(t, 'sudo');
  for (const t of ['useradd', 'chpasswd']) if (toolReason(t, 'passwd')) return toolReason(t, 'passwd');
  return '';
}

let labCache: string | undefined;
function labReason(): string {
  if (pretend('lab')) return pretend('lab');
  if (pretend('root')) return `lab unavailable: ${pretend('root')}`;
  if (labCache === undefined) {
    try {
      preflight();
      labCache = '';
    } catch (e) {
      labCache = `lab unavailable: ${(e as Error).message}`;
    }
  }
  return labCache;
}

/** '' when everything in `needs` is here, else why not (the first thing missing). Never throws. */
export function missing(needs: Needs): string {
  const checks: (() => string)[] = [];
  if (needs.root) checks.push(rootReason);
  if (needs.sshd) checks.push(sshdReason);
  if (needs.sudo) checks.push(sudoReason);
  if (needs.lab) checks.push(labReason);
  for (const t of needs.tools ?? []) checks.push(() => toolReason(t));
  for (const f of needs.files ?? []) checks.push(() => pretend(f) || (existsSync(f) ? '' : `needs ${f}`));
  for (const c of checks) {
    const r = c();
    if (r) return r;
  }
  return '';
}

/** A drop-in for uvu's `test` whose tests and hooks run only when the gate is open. */
export interface GatedTest extends Test {
  /** '' when the tests run here, else the reason they are skipped. */
  readonly reason: string;
}

/** Registers one skipped test and prints the line test/run.mjs collects. */
function skipOne(base: Test, name: string, reason: string): void {
  const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ');
  process.stdout.write(`SKIPPED: ${oneLine(name)} -- because: ${oneLine(reason)}\n`);
  base.skip(name);
}

/** uvu swallows an exception from a before hook (the file reports 0 passed and no message): print it. */
function loud(kind: string, fn: Callback): Callback {
  return async (ctx) => {
    try {
      await fn(ctx);
    } catch (e) {
      process.stderr.write(`\n  ${kind} hook failed: ${(e as Error)?.stack ?? String(e)}\n`);
      throw e;
    }
  };
}

function gate(base: Test, reason: string): GatedTest {
  const open = !reason;
  const t = ((name: string, fn: Callback) => (open ? base(name, fn) : skipOne(base, name, reason))) as GatedTest;
  const hook = (register: (fn: Callback) => void, kind: string) =>
    Object.assign((fn: Callback) => { if (open) register(loud(kind, fn)); }, { each: (fn: Callback) => { if (open) (kind === 'before' ? base.before.each : base.after.each)(fn); } });
  t.before = hook((fn) => base.before(fn), 'before');
  t.after = hook((fn) => base.after(fn), 'after');
  t.only = (name: string, fn: Callback) => (open ? base.only(name, fn) : skipOne(base, name, reason));
  t.skip = (name?: string, fn?: Callback) => base.skip(name, fn);
  t.run = () => base.run();
  Object.defineProperty(t, 'reason', { value: reason, enumerable: true });
  return t;
}

/**
 * uvu's `test` (or `base`, e.g. a suite) where `needs` are met here; elsewhere a stand-in that
 * registers every test as SKIPPED with the reason and runs none of the hooks.
 */
export function requires(needs: Needs, base: Test = uvuTest): GatedTest {
  return gate(base, missing(needs));
}

/** One test: registered normally when `reason` is '', else skipped with that reason. */
export function gatedTest(reason: string, name: string, fn: Callback, base: Test = uvuTest): void {
  gate(base, reason)(name, fn);
}
