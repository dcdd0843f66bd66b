/** Test helpers for module tests: a real ModuleCtx over LocalTransport, temp dirs, snapshots, converge checks. */
import { mkdtempSync, readdirSync, readFileSync, lstatSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { LocalTransport } from '../../src/transport/local.js';
import type { ExecOptions, ExecResult, Transport, Become } from '../../src/transport/types.js';
import type { ModuleCtx } from '../../src/engine/module/types.js';
import { loadModule } from '../../src/engine/module/registry.js';
import { applyModule, type ModuleOutcome } from '../../src/engine/apply.js';
import { InputError } from '../../src/util/errors.js';
import type { FileState, StatInfo } from '../../src/modules/lib/fileops.js';

/** LocalTransport that counts calls. */
export class CountingTransport implements Transport {
  readonly name = 'local';
  inner = new LocalTransport('local');
  execs: string[] = [];
  manyCalls = 0;
  async connect() {}
  async close() {}
  exec(cmd: string, opts?: ExecOptions): Promise<ExecResult> {
    this.execs.push(cmd);
    return this.inner.exec(cmd, opts);
  }
  execMany(cmds: string[], opts?: { become?: Become | null }): Promise<ExecResult[]> {
    this.manyCalls++;
    return this.inner.execMany(cmds, opts);
  }
}

/** Evaluate a tiny subset of Jinja expressions for tests: JS expression syntax over vars, plus and/or/not. */
export function testEval(expr: string, vars: Record<string, unknown>): unknown {
  const js = expr.replace(/\band\b/g, '&&').replace(/\bor\b/g, '||').replace(/\bnot\b/g, '!');
  const names = Object.keys(vars).filter((k) => /^[A-Za-z_]\w*$/.test(k));
  try {
    return new Function(...names, `return (${js});`)(...names.map((n) => vars[n]));
  } catch (e: any) {
    if (e instanceof ReferenceError) return undefined;
    throw e;
  }
}

export function makeCtx(over: Partial<ModuleCtx> = {}): ModuleCtx & { logs: string[] } {
  const logs: string[] = [];
  const vars = (over.vars ?? {}) as Record<string, unknown>;
  const ctx: ModuleCtx & { logs: string[] } = {
    host: 'testhost',
    facts: {},
    vars,
    check: false,
    diff: true,
    become: null,
    transport: new CountingTransport(),
    findFile: (_kind, p) => {
      if (p.startsWith('/')) return p;
      throw new InputError(`file not found: ${p}`, undefined, 'tests use absolute paths');
    },
    render: (text) => text.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, n) => String(vars[n] ?? '')),
    evalExpr: (e) => testEval(e, vars),
    progress: () => {},
    log: (m) => logs.push(m),
    logs,
    ...over,
  };
  return ctx;
}

export function tempDir(prefix = 'kvplay-mod-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function rmDir(d: string): void {
  rmSync(d, { recursive: true, force: true });
}

/** Everything in a directory tree: type, mode, content/target. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const st = lstatSync(p);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out[p] = `link ${readlinkSync(p)}`;
      else if (st.isDirectory()) { out[p] = `dir ${mode} ${st.uid}:${st.gid}`; walk(p); }
      else out[p] = `file ${mode} ${st.uid}:${st.gid} ino${st.nlink > 1 ? st.ino : ''} ${readFileSync(p).toString('base64')}`;
    }
  };
  walk(dir);
  return out;
}

export function tempLeftovers(dir: string): string[] {
  return Object.keys(snapshot(dir)).filter((p) => p.includes('.kvplay-'));
}

export async function run(name: string, params: Record<string, unknown>, over: Partial<ModuleCtx> = {}): Promise<ModuleOutcome> {
  const mod = await loadModule(name);
  if (!mod) throw new Error(`no module ${name}`);
  return applyModule(mod, params, makeCtx(over));
}

/**
 * The converge contract on a real directory:
 * check mode changes nothing and predicts exactly; apply; second apply and check are ok; no temp files left.
 */
export async function converge(name: string, params: Record<string, unknown>, dir: string, expect: 'changed' | 'ok' = 'changed', over: Partial<ModuleCtx> = {}): Promise<ModuleOutcome> {
  const before = snapshot(dir);
  const predicted = await run(name, params, { ...over, check: true });
  assert.equal(snapshot(dir), before, `${name}: check mode changed the disk`);
  assert.is(predicted.status, expect, `${name}: check mode predicted ${predicted.status} (${predicted.reason})`);
  const applied = await run(name, params, over);
  assert.is(applied.status, expect, `${name}: apply gave ${applied.status}: ${applied.reason}`);
  const again = await run(name, params, over);
  assert.is(again.status, 'ok', `${name}: second apply not ok: ${again.reason}`);
  const check2 = await run(name, params, { ...over, check: true });
  assert.is(check2.status, 'ok', `${name}: check after apply not ok: ${check2.reason}`);
  assert.equal(tempLeftovers(dir), [], 'temp files left behind');
  return applied;
}

export function statInfo(over: Partial<StatInfo> = {}): StatInfo {
  return { type: 'file', mode: 0o644, uid: 0, gid: 0, owner: 'root', group: 'root', size: 0, mtime: 0, inode: 1, dev: 1, nlink: 1, ...over };
}

/** A FileState for pure planning tests. */
export function fileState(path: string, o: { content?: string; stat?: Partial<StatInfo>; missing?: boolean; parentDir?: boolean; checksum?: string } = {}): FileState {
  if (o.missing) return { path, exists: false, parentDir: o.parentDir ?? true, umask: 0o022 };
  const content = o.content !== undefined ? Buffer.from(o.content) : undefined;
  const s = statInfo({ size: content?.length ?? 0, ...o.stat });
  return { path, exists: true, l: s, f: s, realpath: path, parentDir: true, umask: 0o022, content, checksum: o.checksum };
}

export const isRoot = process.getuid?.() === 0;
