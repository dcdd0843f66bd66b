/**
 * modprobe (community.general.modprobe): load or unload a kernel module. Loaded means listed in
 * /proc/modules (names compared with - as _) or built into the kernel (modules.builtin).
 */
import { q } from '../util/quote.js';
import type { Module, ModuleCtx, Plan } from '../engine/module/types.js';
import { object, str, strEnum, type Static } from '../engine/module/schema.js';
import { PROBES, sectionScript, sectionTexts } from '../facts/sections.js';

export type ModprobeParams = Static<typeof schema>;

export interface ModprobeFacts {
  loaded: boolean;
  builtin: boolean;
}

const norm = (n: string) => n.replace(/-/g, '_');

export function modprobeFactCmd(name: string): string {
  return sectionScript([
    ['modules', 'cat /proc/modules 2>/dev/null | cut -d" " -f1'],
    ['builtin', 'cat "/lib/modules/$(uname -r)/modules.builtin" 2>/dev/null | sed "s|.*/||; s|\\.ko.*$||"'],
  ], { ...PROBES, prelude: `: ${q(name)}` });
}

export function parseModprobeFacts(name: string, out: string): ModprobeFacts {
  const s = sectionTexts(out);
  const n = norm(name);
  const has = (sec: string | undefined) => (sec ?? '').split('\n').some((l) => norm(l.trim()) === n);
  return { loaded: has(s.modules), builtin: has(s.builtin) };
}

export function planModprobe(p: ModprobeParams, f: ModprobeFacts, _ctx?: Pick<ModuleCtx, 'check'>): Plan {
  const state = p.state ?? 'present';
  const result = { name: p.name, params: p.params ?? '', state };
  const present = f.loaded || f.builtin;
  if (state === 'present' && !present) {
    const params = (p.params ?? '').trim();
    const args = params ? params.split(/\s+/).map(q).join(' ') : '';
    return { kind: 'change', reason: `${p.name}: loaded`, steps: [{ desc: `modprobe ${p.name}`, cmd: `modprobe ${q(p.name)}${args ? ' ' + args : ''}` }], result };
  }
  if (state === 'absent' && f.loaded) {
    return { kind: 'change', reason: `${p.name}: unloaded`, steps: [{ desc: `modprobe -r ${p.name}`, cmd: `modprobe -r ${q(p.name)}` }], result };
  }
  if (state === 'absent' && f.builtin) throw new Error(`${p.name} is built into the kernel: it cannot be unloaded`);
  return { kind: 'ok', reason: `${p.name}: ${present ? 'loaded' : 'not loaded'}`, result };
}

const schema = object(
  {
    name: str('The kernel module.'),
    state: strEnum(['present', 'absent'], 'present (default): loaded; absent: unloaded.'),
    params: str('Module parameters for loading, e.g. "numdummies=2".'),
  },
  { required: ['name'] },
);

export const modprobe: Module<ModprobeParams, { m: ModprobeFacts }> = {
  name: 'modprobe',
  reasonIsMsg: false,
  doc: 'Load (with params) or unload a kernel module; a loaded or built-in module is left alone.',
  schema,
  facts: (p) => ({ m: { cmd: modprobeFactCmd(p.name), parse: (r) => parseModprobeFacts(p.name, r.stdout), explain: (f) => ({ cmd: `lsmod | grep ${q(norm(p.name))}`, found: (f as ModprobeFacts).loaded ? 'loaded' : (f as ModprobeFacts).builtin ? 'built in' : 'not loaded' }) } }),
  plan: (p, f) => planModprobe(p, f.m),
};
