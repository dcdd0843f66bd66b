/**
 * Data-driven module tests (as pyinfra's tests/operations): one YAML file per case in
 * test/fixtures/modules/<module>/<case>.yaml, run here by one generic runner:
 *   params -> the module's own validation and coercion -> its facts() -> each fact parsed by the
 *   module's own parser from the RECORDED output given in the file -> plan() (pure, no transport)
 *   -> compared with what the file expects.
 * A fixture file:
 *   doc: what the case shows (the test's name)
 *   module: firewalld            # optional: the folder's name
 *   params: { service: nfs, state: enabled }
 *   check: true                  # optional: check mode (also host_facts:, vars:)
 *   facts:                       # the output of each of the module's fact commands, by fact name:
 *     fw: { recorded: modules/sys/fixtures/firewalld-running-nfs.txt }   # a recorded file (under test/)
 *     live: { stdout: "1\n", code: 0 }                                   # raw output
 *     zone: { sections: { dbus: "no" } }                                 # section format, by hand
 *     file: { host_file: { content: "a=1\n", mode: "0644" } }            # the file fact of a file
 *     file: { host_file: { recorded: modules/sys/fixtures/fstab-kvm1.txt } }   # ... its content recorded
 *     file: { host_file: { missing: true } }                             # ... of no file
 *   expect:                      # exactly one of:
 *     ok: "reason"                                 # nothing to do, and why
 *     change: { reason: "...", steps: [cmd...], descs: [...], steps_match: [regex...], diff: [{path, before, after}] }
 *     error: "part of the message"                 # refused (parameters or plan)
 * A fact the module asks for and the file does not give fails the case (with the command), unless the
 * fact is skipped given the others (Fact.skipIfCached: parsed from an empty output, as the engine does).
 * Adding a module case = one file; adding a module = its file plus its fixtures (docs/).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { sectionsOutput } from '../harness/sections.js';
import { makeCtx } from './helpers.js';
// ---- the ONE import site of the module contract (it may move: change these lines only) ----
import { loadModule } from '../../src/engine/module/registry.js';
import { coerceParams, validateParams } from '../../src/engine/module/validate.js';
import type { Fact, Module, Plan } from '../../src/engine/module/types.js';
import type { ExecResult } from '../../src/transport/types.js';
// ----

const TEST_DIR = new URL('..', import.meta.url).pathname;
const FIXTURES = join(TEST_DIR, 'fixtures', 'modules');

type Out = { recorded?: string; stdout?: string; code?: number; stderr?: string; sections?: Record<string, string | { out: string; rc: number }>; host_file?: HostFile };
interface HostFile { content?: string; recorded?: string; mode?: string; uid?: number; gid?: number; owner?: string; group?: string; missing?: boolean; parent?: boolean }
interface Case {
  doc?: string;
  module?: string;
  params?: Record<string, unknown>;
  check?: boolean;
  host_facts?: Record<string, unknown>;
  vars?: Record<string, unknown>;
  facts?: Record<string, Out>;
  expect: { ok?: string; error?: string; change?: { reason?: string; steps?: string[]; descs?: string[]; steps_match?: string[]; diff?: { path?: string; before?: string; after?: string }[] } };
}

/** What the file fact's command (src/facts/file.ts) prints for a regular file or for no file. */
function hostFileOutput(f: HostFile): string {
  const none = { out: '', rc: 1 };
  if (f.missing) return sectionsOutput({ umask: '0022', parent: { out: '', rc: f.parent === false ? 1 : 0 }, lstat: { out: '', rc: 0 }, target: none, stat: none, realpath: none, access: none, checksum: none, omitted: none, content: none });
  const bytes = f.recorded !== undefined ? readFileSync(join(TEST_DIR, f.recorded)) : Buffer.from(f.content ?? '');
  const mode = parseInt(f.mode ?? '0644', 8);
  const stat = [(0o100000 | mode).toString(16), f.uid ?? 0, f.gid ?? 0, bytes.length, 1700000000, 2, 2049, 1, f.owner ?? 'root', f.group ?? 'root'].join(':');
  const sum = `${createHash('sha256').update(bytes).digest('hex')}  -`;
  return sectionsOutput({ umask: '0022', parent: { out: '', rc: 0 }, lstat: stat, target: none, stat: none, realpath: none, access: 'rw', checksum: sum, omitted: none, content: { out: bytes.toString('base64'), rc: 0 } });
}

function resultOf(o: Out, where: string): ExecResult {
  const forms = (['recorded', 'stdout', 'sections', 'host_file'] as const).filter((k) => o[k] !== undefined);
  if (forms.length !== 1) throw new Error(`${where}: give exactly one of recorded, stdout, sections, host_file (got ${forms.join(', ') || 'none'})`);
  const stdout = o.recorded !== undefined ? readFileSync(join(TEST_DIR, o.recorded), 'utf8') : o.sections ? sectionsOutput(o.sections) : o.host_file ? hostFileOutput(o.host_file) : o.stdout!;
  return { code: o.code ?? 0, stdout, stderr: o.stderr ?? '' };
}

/** Parses each of `defs` from the case's recorded outputs; `known`: facts parsed so far (skipIfCached sees them). */
function parseFacts(defs: Record<string, Fact<unknown>>, given: Record<string, Out>, known: Record<string, unknown>, file: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, fact] of Object.entries(defs)) if (given[name] !== undefined) out[name] = fact.parse(resultOf(given[name], `${file}: facts.${name}`));
  for (const [name, fact] of Object.entries(defs)) {
    if (name in out) continue;
    if (!fact.skipIfCached?.({ ...known, ...out })) throw new Error(`${file}: no output for the fact '${name}' (its command: ${fact.cmd})`);
    out[name] = fact.parse({ code: 0, stdout: '', stderr: '' });
  }
  return out;
}

/** The plan of a case, or the error that refused it. */
async function planOf(c: Case, file: string, mod: Module): Promise<{ plan?: Plan; error?: string }> {
  const errors = validateParams(mod, c.params ?? {}, { static: false });
  if (errors.length) return { error: errors.map((e) => e.message).join('; ') };
  const params = coerceParams(mod, c.params ?? {});
  const ctx = makeCtx({ check: !!c.check, diff: true, facts: c.host_facts ?? {}, vars: c.vars ?? {} });
  // plan() gets no transport: what it needs came from the facts
  const { transport: _t, factCache: _c, progress: _p, explain: _e, ...planCtx } = ctx;
  try {
    const prep = mod.prepare ? await mod.prepare(params, ctx) : undefined;
    const given = c.facts ?? {};
    const defs = mod.facts?.(params, ctx, prep) ?? {};
    const unknown = Object.keys(given).filter((k) => !(k in defs) && !(k in (mod.moreFacts ? mod.moreFacts(params, {}, ctx) : {})));
    if (unknown.length) throw new Error(`${file}: facts ${unknown.join(', ')} are not facts of ${mod.name} (it reads ${Object.keys(defs).join(', ')})`);
    let facts = parseFacts(defs, given, {}, file);
    if (mod.moreFacts) facts = { ...facts, ...parseFacts(mod.moreFacts(params, facts, ctx), given, facts, file) };
    return { plan: mod.plan!(params, facts, planCtx, prep) };
  } catch (e) {
    if (String((e as Error).message).startsWith(`${file}:`)) throw e; // a broken fixture, not a refusal
    return { error: (e as Error).message };
  }
}

function check(c: Case, got: { plan?: Plan; error?: string }, file: string): void {
  const x = c.expect;
  const kinds = (['ok', 'change', 'error'] as const).filter((k) => x?.[k] !== undefined);
  if (kinds.length !== 1) throw new Error(`${file}: expect exactly one of ok, change, error`);
  if (x.error !== undefined) {
    assert.ok(got.error !== undefined, `${file}: expected the error "${x.error}", got a plan: ${JSON.stringify(got.plan)}`);
    assert.match(got.error!, x.error, `${file}: the error was: ${got.error}`);
    return;
  }
  if (got.error !== undefined) assert.unreachable(`${file}: refused: ${got.error}`);
  const p = got.plan!;
  if (x.ok !== undefined) {
    assert.is(p.kind, 'ok', `${file}: ${JSON.stringify(p)}`);
    assert.is(p.reason, x.ok, file);
    return;
  }
  const w = x.change!;
  assert.is(p.kind, 'change', `${file}: ${JSON.stringify(p)}`);
  if (p.kind !== 'change') return;
  if (!w.steps && !w.descs && !w.steps_match) throw new Error(`${file}: expect.change needs steps, descs or steps_match`);
  if (w.reason !== undefined) assert.is(p.reason, w.reason, file);
  if (w.steps) assert.equal(p.steps.map((s) => s.cmd), w.steps, file);
  if (w.descs) assert.equal(p.steps.map((s) => s.desc), w.descs, file);
  if (w.steps_match) {
    assert.is(p.steps.length, w.steps_match.length, `${file}: ${p.steps.map((s) => s.desc).join(', ')}`);
    w.steps_match.forEach((re, i) => assert.match(p.steps[i].cmd, new RegExp(re), `${file}: step ${i + 1}`));
  }
  if (w.diff) {
    assert.is(p.diff?.length ?? 0, w.diff.length, `${file}: diffs ${JSON.stringify(p.diff)}`);
    w.diff.forEach((d, i) => {
      for (const k of ['path', 'before', 'after'] as const) if (d[k] !== undefined) assert.is(p.diff![i][k], d[k], `${file}: diff ${i + 1} ${k}`);
    });
  }
}

const cases = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => readdirSync(join(FIXTURES, d.name)).filter((f) => f.endsWith('.yaml')).sort().map((f) => ({ dir: d.name, file: `${d.name}/${f}` })));

test('every module folder has fixtures, every fixture names a known module', async () => {
  assert.ok(cases.length > 0, `no fixture files under ${FIXTURES}`);
  for (const d of new Set(cases.map((c) => c.dir))) assert.ok(await loadModule(d), `test/fixtures/modules/${d}: no module named ${d}`);
});

for (const { dir, file } of cases) {
  const c = parseYaml(readFileSync(join(FIXTURES, file), 'utf8')) as Case;
  test(`${file}: ${c?.doc ?? '(no doc)'}`, async () => {
    const mod = await loadModule(c.module ?? dir);
    assert.ok(mod, `${file}: no module ${c.module ?? dir}`);
    check(c, await planOf(c, file, mod!), file);
  });
}

test.run();
