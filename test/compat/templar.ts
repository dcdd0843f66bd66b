/**
 * The template oracle (Ansible is the oracle): templar.py renders a list of templates with
 * Ansible's Templar in ONE Python process, and `compare` judges kvplay's renderTracked() result
 * of the same template against it, case by case.
 *
 *   const ans = oracle(['{{ 2 | pow(3) }}'], { vars: { x: 1 } });   // [{ ok: '8.0', type: 'str', unsafe: false }]
 *   compare(kvplayOutcome('{{ 2 | pow(3) }}', vars), ans[0])        // null when the same, else why not
 *
 * Gate the tests on ansible-playbook (test/harness/gate.ts requires({ tools: ['ansible-playbook'] })).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderTracked, setVar, type Vars } from '../../src/template/index.js';
import { pyStr } from '../../src/template/py.js';
import { InputError } from '../../src/util/errors.js';

export type OracleResult = { ok: unknown; type: string; unsafe: boolean } | { err: string; msg: string };
export interface OracleCase {
  t: string;
  vars?: Vars;
}
export interface OracleOpts {
  vars?: Vars;
  /** the DataLoader's basedir (the playbook directory), also the cwd of the oracle */
  basedir?: string;
  env?: Record<string, string>;
}

const HERE = new URL('.', import.meta.url).pathname;

/** The Python that runs ansible-playbook (its shebang), where the ansible package is. */
export function ansiblePython(): string {
  const which = spawnSync('sh', ['-c', 'command -v ansible-playbook'], { encoding: 'utf8' }).stdout.trim();
  const first = readFileSync(which, 'utf8').split('\n')[0];
  const m = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(first);
  if (!m) return 'python3';
  return m[1].endsWith('/env') && m[2] ? m[2] : m[1];
}

/** Ansible's results for the templates, in order (one Python process for all). */
export function oracle(cases: (string | OracleCase)[], opts: OracleOpts = {}): OracleResult[] {
  const req = { basedir: opts.basedir ?? null, vars: opts.vars ?? {}, cases: cases.map((c) => (typeof c === 'string' ? { t: c } : c)) };
  const r = spawnSync(ansiblePython(), [join(HERE, 'templar.py')], {
    input: JSON.stringify(req),
    encoding: 'utf8',
    env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_DEPRECATION_WARNINGS: 'false', ...(opts.env ?? {}) },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`templar.py failed (${r.status}): ${r.stderr}`);
  const out = JSON.parse(r.stdout) as OracleResult[];
  if (out.length !== req.cases.length) throw new Error(`templar.py gave ${out.length} results for ${req.cases.length} cases`);
  return out.map((x) => ('ok' in x ? { ...x, ok: untag(x.ok) } : x));
}

function untag(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(untag);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.__float__ === 'string') return o.__float__ === 'nan' ? NaN : o.__float__ === 'inf' ? Infinity : -Infinity;
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, untag(x)]));
  }
  return v;
}

/** What kvplay gives for a template: its value and unsafe mark, or the InputError it throws. */
export type Outcome = { value: unknown; unsafe: boolean } | { error: Error };

/** The variables as kvplay holds them: a top-level `{__unsafe__: v}` (templar.py's mark) is v, marked unsafe. */
export function kvplayVars(vars: Vars): Vars {
  const out: Vars = {};
  for (const [k, v] of Object.entries(structuredClone(vars))) {
    const u = v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && '__unsafe__' in v;
    setVar(out, k, u ? (v as Vars).__unsafe__ : v, !!u);
  }
  return out;
}

export function kvplayOutcome(t: string, vars: Vars): Outcome {
  try {
    return renderTracked(t, vars, { file: 'case', line: 1, col: 1 });
  } catch (e) {
    return { error: e as Error };
  }
}

const show = (v: unknown) => {
  try {
    return typeof v === 'string' ? JSON.stringify(v) : pyStr(v);
  } catch {
    return String(v);
  }
};

/** Python == between Ansible's (JSON) value and kvplay's; numbers by value (JS has no int/float split). */
function same(a: unknown, k: unknown): boolean {
  if (typeof a === 'number' && typeof k === 'number') return a === k || (Number.isNaN(a) && Number.isNaN(k));
  if (Array.isArray(a)) return Array.isArray(k) && a.length === k.length && a.every((x, i) => same(x, k[i]));
  if (a && typeof a === 'object') {
    if (!k || typeof k !== 'object' || Array.isArray(k)) return false;
    const ka = Object.keys(a);
    return ka.length === Object.keys(k).length && ka.every((x) => Object.prototype.hasOwnProperty.call(k, x) && same((a as Vars)[x], (k as Vars)[x]));
  }
  return a === k || (a === null && k === undefined);
}

const hasText = (v: unknown): boolean => typeof v === 'string' || (Array.isArray(v) ? v.some(hasText) : !!v && typeof v === 'object' && Object.values(v).some(hasText));

/**
 * null when kvplay's outcome is Ansible's, else what differs. A string from Ansible (constant
 * folding and str() of native values make many results strings in 2.14) matches kvplay's native
 * scalar with the same str(); '16.0' matches 16 (JS numbers carry no float type: README).
 */
export function compare(k: Outcome, a: OracleResult): string | null {
  if ('err' in a) return 'error' in k ? null : `Ansible fails (${a.err}: ${a.msg}) but kvplay gives ${show(k.value)}`;
  if ('error' in k) return `Ansible gives ${show(a.ok)} (${a.type}) but kvplay fails: ${k.error.message}${k.error instanceof InputError ? '' : ' (not an InputError)'}`;
  let ok: boolean;
  if (typeof a.ok === 'string' && typeof k.value !== 'string') {
    // kvplay keeps native values (numbers, tuples) where Ansible 2.14 gives their str()
    const s = pyStr(k.value);
    ok = s === a.ok || (typeof k.value === 'number' && /^-?\d+\.0$/.test(a.ok) && Number(a.ok) === k.value);
  } else ok = same(a.ok, k.value);
  if (!ok) return `Ansible gives ${show(a.ok)} (${a.type}), kvplay ${show(k.value)}`;
  // only text can be unsafe (Ansible wraps strings; a number or a list of numbers carries no mark)
  if (a.unsafe !== k.unsafe && hasText(k.value)) return `Ansible's result is ${a.unsafe ? '' : 'not '}unsafe, kvplay's is ${k.unsafe ? '' : 'not '}`;
  return null;
}
