/**
 * Helpers for the migration tests on the lab (test/virt/*.test.ts): commands on lab hosts,
 * the stages before migrate-lab.yaml (the real site.yaml when its storage/bridge/ssh_trust
 * stages exist, else the test-only fixture), a lock against other lab tests in this suite,
 * and timing records.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as assert from 'uvu/assert';
import { ensureLab } from '../../src/lab/index.js';
import { BIN, ROOT, kvplay, type CliResult } from '../e2e/helpers.js';

export { ROOT, BIN, kvplay };
export const PB = (name: string) => join(ROOT, 'playbooks', name);
export const FIXTURE = join(ROOT, 'test', 'virt', 'fixtures', 'prepare-lab.yaml');
export const GUEST = 'kvplay-guest';
export let INV = '';
let SSHCFG = '';

export function run(cmd: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const c = execFile(cmd, args, { maxBuffer: 16 << 20 }, (err, stdout, stderr) => res({ code: err ? ((err as any).code ?? 1) : 0, stdout, stderr }));
    c.stdin?.on('error', () => {}); // EPIPE when the command exits before reading: its result tells
    if (input !== undefined) c.stdin?.end(input);
  });
}

/** A command on a lab host (fresh ssh each time). */
export const on = (host: string, cmd: string) => run('ssh', ['-F', SSHCFG, '-o', 'ConnectTimeout=10', host, cmd]);

export async function must(host: string, cmd: string): Promise<string> {
  const r = await on(host, cmd);
  assert.is(r.code, 0, `${host}: ${cmd}: rc=${r.code} ${r.stderr}`);
  return r.stdout;
}

/** The guest's state on a host (null: not defined). */
export async function domstate(host: string, name = GUEST): Promise<string | null> {
  const r = await on(host, `virsh domstate ${name}`);
  return r.code === 0 ? r.stdout.trim() : null;
}

/** The guest's counter, read from its serial log on a host (last tick). */
export async function lastTick(host: string, name = GUEST): Promise<number> {
  const r = await on(host, `grep -ao 'tick [0-9]*' /var/log/libvirt/qemu/${name}-serial.log | tail -n 1 | cut -d' ' -f2`);
  return Number(r.stdout.trim() || 0);
}

/**
 * Waits until the guest's counter on a host passes `tick` (at most `ms`); returns the last tick
 * seen. Polling, not a fixed sleep: a busy machine makes the guest count slower.
 */
export async function tickAfter(host: string, tick: number, ms = 60_000, name = GUEST): Promise<number> {
  const deadline = Date.now() + ms;
  for (;;) {
    const t = await lastTick(host, name);
    if (t > tick || Date.now() > deadline) return t;
    await new Promise((r) => setTimeout(r, 250));
  }
}

const LOCK = '/run/kvplay-lab-tests.lock';

/**
 * Take the lab-tests lock (a directory with the holder's PID; a dead holder's lock is taken
 * over). Tests that reset or reconfigure the lab should hold it.
 */
export async function lockLab(timeoutMs = 20 * 60_000): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      process.on('exit', unlockLab);
      return;
    } catch {
      let pid = 0;
      try { pid = Number(readFileSync(join(LOCK, 'pid'), 'utf8')); } catch { /* being written */ }
      let alive = pid > 0;
      if (alive) { try { process.kill(pid, 0); } catch { alive = false; } }
      if (!alive && pid > 0) { rmSync(LOCK, { recursive: true, force: true }); continue; }
      if (Date.now() - t0 > timeoutMs) throw new Error(`${LOCK} held by pid ${pid} for too long`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

export function unlockLab(): void {
  try {
    if (Number(readFileSync(join(LOCK, 'pid'), 'utf8')) === process.pid) rmSync(LOCK, { recursive: true, force: true });
  } catch { /* not ours */ }
}

/** Bring the lab up; optionally reset it to fresh hosts. */
export async function labUp(reset: boolean): Promise<void> {
  const lab = await ensureLab();
  INV = lab.inventoryPath;
  SSHCFG = lab.sshConfigPath;
  if (reset) {
    const r = await run(process.execPath, [BIN, 'lab', 'reset']);
    assert.is(r.code, 0, `lab reset: ${r.stderr}`);
  }
}

/** How to run the whole lab: the real site.yaml when it has the stages, else the fixture; then migrate-lab.yaml unless site.yaml imports it. */
export function sitePlan(): { playbooks: string[]; real: boolean } {
  const site = PB('site.yaml');
  const text = existsSync(site) ? readFileSync(site, 'utf8') : '';
  if (/import_playbook:\s*['"]?migrate-lab\.yaml/.test(text)) return { playbooks: [site], real: true };
  if (/shared_storage/.test(text) && /bridge/.test(text) && /ssh_trust/.test(text)) return { playbooks: [site, PB('migrate-lab.yaml')], real: true };
  return { playbooks: [FIXTURE, PB('migrate-lab.yaml')], real: false };
}

export interface PlayRun extends CliResult {
  changed: string[];
  failures: string[];
  wallS: number;
}

export async function play(playbook: string, args: string[] = []): Promise<PlayRun> {
  const t0 = Date.now();
  const r = await kvplay([playbook, '-i', INV, ...args], { json: true });
  const hr = r.events.filter((e) => e.kind === 'host_result');
  return {
    ...r,
    wallS: Math.round((Date.now() - t0) / 100) / 10,
    changed: hr.filter((e) => e.status === 'changed').map((e) => `${e.task}|${e.host}`),
    failures: hr.filter((e) => (e.status === 'failed' && !e.data?.ignored) || e.status === 'unreachable').map((e) => `${e.task}|${e.host}: ${e.reason}`),
  };
}

/** The registered data of a task's result on a host. */
export function resultOf(r: CliResult, task: RegExp, host: string): any {
  return r.events.find((e) => e.kind === 'host_result' && task.test(e.task) && e.host === host && e.status !== 'skipped');
}

const TIMINGS = join(process.env.KVPLAY_CACHE_DIR || '/var/cache/kvplay', 'virt-timings.log');

/** Print a measurement and append it to <cache>/virt-timings.log (outside the tree). */
export function record(what: string, data: Record<string, unknown>): void {
  mkdirSync(dirname(TIMINGS), { recursive: true });
  const line = `${new Date().toISOString()} ${what} ${JSON.stringify(data)}\n`;
  appendFileSync(TIMINGS, line);
  console.log(`  ${what}: ${JSON.stringify(data)}`);
}
