/** group: Ansible's group module for Linux (groupadd/groupmod/groupdel), planned from `getent group`. */
import { q } from '../util/quote.js';
import type { ExecResult } from '../transport/types.js';
import type { Module, ModuleCtx, Plan } from '../engine/module/types.js';
import { bool, int, object, str, strEnum, type Static } from '../engine/module/schema.js';
import { parseGroups, type GroupEntry } from '../facts/account.js';

export type GroupParams = Static<typeof schema>;

export const groupFactCmd = (name: string) => `getent group ${q(name)}; exit 0`;

export function parseGroupFact(name: string, out: string): GroupEntry | undefined {
  return parseGroups(out)[name];
}

/** Pure planning. */
export function planGroup(p: GroupParams, g: GroupEntry | undefined, ctx: Pick<ModuleCtx, 'check'>): Plan {
  const state = p.state ?? 'present';
  const result: Record<string, unknown> = { name: p.name, state };
  const readBack = { desc: `getent group ${p.name}`, cmd: `getent group ${q(p.name)}` };
  if (state === 'absent') {
    if (!g) return { kind: 'ok', reason: `group ${p.name}: absent`, result };
    return { kind: 'change', reason: `group ${p.name}: removed`, steps: [{ desc: `groupdel ${p.name}`, cmd: `groupdel ${q(p.name)}` }], result: ctx.check ? {} : result, diff: [{ path: `group ${p.name}`, before: `gid ${g.gid}\n`, after: 'absent\n' }] };
  }
  if (!g) {
    const a = ['groupadd', ...(p.gid !== undefined ? ['-g', q(p.gid), ...(p.non_unique ? ['-o'] : [])] : []), ...(p.system ? ['-r'] : []), q(p.name)];
    return { kind: 'change', reason: `group ${p.name}: created`, steps: [{ desc: `groupadd ${p.name}`, cmd: a.join(' ') }, readBack], result: ctx.check ? {} : { ...result, system: !!p.system }, diff: [{ path: `group ${p.name}`, before: 'absent\n', after: `present${p.gid !== undefined ? `, gid ${p.gid}` : ''}\n` }] };
  }
  const res = { ...result, system: !!p.system, gid: g.gid };
  if (p.gid !== undefined && p.gid !== g.gid) {
    const a = ['groupmod', '-g', q(p.gid), ...(p.non_unique ? ['-o'] : []), q(p.name)];
    return { kind: 'change', reason: `group ${p.name}: gid ${g.gid} -> ${p.gid}`, steps: [{ desc: `groupmod ${p.name}`, cmd: a.join(' ') }, readBack], result: res, diff: [{ path: `group ${p.name}`, before: `gid ${g.gid}\n`, after: `gid ${p.gid}\n` }] };
  }
  return { kind: 'ok', reason: `group ${p.name}: gid ${g.gid}`, result: res };
}

export function groupResult(name: string, results: ExecResult[]): Record<string, unknown> {
  const last = results[results.length - 1];
  const g = last && last.code === 0 ? parseGroupFact(name, last.stdout) : undefined;
  return g ? { gid: g.gid } : {};
}

const schema = object(
  {
    name: str('The group name.'),
    state: strEnum(['present', 'absent'], 'present (default) or absent.'),
    gid: int('The group id.', { minimum: 0 }),
    system: bool('A system group (groupadd -r), only when it is created.', false),
    non_unique: bool('With gid: allow a gid another group has (-o).', false),
  },
  { required: ['name'] },
);

export const group: Module<GroupParams, { group?: GroupEntry }> = {
  name: 'group',
  reasonIsMsg: false,
  doc: "Ansible's group: create, change the gid of, or remove a Linux group (groupadd/groupmod/groupdel).",
  schema,
  facts: (p) => ({ group: { cmd: groupFactCmd(p.name), parse: (r) => parseGroupFact(p.name, r.stdout), explain: (g) => ({ cmd: `getent group ${q(p.name)}`, found: g ? `gid ${(g as GroupEntry).gid}` : 'no such group' }) } }),
  plan: (p, f, ctx) => planGroup(p, f.group, ctx),
  result: (p, _f, results) => groupResult(p.name, results),
};
