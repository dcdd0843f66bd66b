/**
 * sysctl (ansible.posix.sysctl): a kernel parameter in a sysctl file (one `name = value`
 * line, edited atomically) and, with reload (default), in the running kernel (sysctl -w of
 * that one key, only when it differs).
 */
import { q } from '../util/quote.js';
import type { Module, Plan, PlanCtx } from '../engine/module/types.js';
import { editFacts, editResult, planEdit, type EditFacts } from './lib/edit.js';
import { backupProp, bool, object, str, strEnum, type Static, typed } from '../engine/module/schema.js';
import { lines } from './lib/sshfiles.js';

export type SysctlParams = Static<typeof schema>;

type Facts = EditFacts & { live: string | undefined };

const norm = (v: string) => v.trim().split(/\s+/).join(' ');
const keyOf = (n: string) => n.trim().replace(/\//g, '.');

export function editSysctl(old: string | null, name: string, value: string | undefined, state: 'present' | 'absent'): { text: string | null; msg: string } {
  const ls = lines(old ?? '');
  const key = keyOf(name);
  const idx = ls.map((l, i) => {
    const m = /^\s*-?([^=#;\s][^=]*?)\s*=\s*(.*?)\s*$/.exec(l.replace(/\n$/, ''));
    return m && keyOf(m[1]) === key ? { i, v: m[2] } : undefined;
  }).filter((x): x is { i: number; v: string } => !!x);
  if (state === 'absent') {
    if (!idx.length) return { text: old, msg: `${key}: not set` };
    for (const x of idx) ls[x.i] = '';
    return { text: ls.join(''), msg: `${key}: removed` };
  }
  const line = `${key} = ${value}\n`;
  if (idx.length === 1 && norm(idx[0].v) === norm(value!)) return { text: old, msg: `${key}: ${value}` };
  if (idx.length) {
    ls[idx[0].i] = line;
    for (const x of idx.slice(1)) ls[x.i] = '';
    return { text: ls.join(''), msg: `${key}: set to ${value}` };
  }
  if (ls.length && !ls[ls.length - 1].endsWith('\n')) ls[ls.length - 1] += '\n';
  ls.push(line);
  return { text: ls.join(''), msg: `${key}: added (${value})` };
}

export function planSysctl(p: SysctlParams, f: Facts, ctx: PlanCtx): Plan {
  const state = p.state ?? 'present';
  const key = keyOf(p.name);
  if (!/^[A-Za-z0-9_.*-]+$/.test(key)) throw new Error(`invalid sysctl name '${p.name}'`);
  if (state === 'present' && (p.value === undefined || String(p.value).trim() === '')) throw new Error('value is required with state present');
  const value = p.value !== undefined ? norm(String(p.value)) : undefined;
  const file = p.sysctl_file ?? '/etc/sysctl.conf';
  const e = planEdit({ path: file, create: true, backup: p.backup }, f, (old) => editSysctl(old, key, value, state), ctx);
  const steps = e.kind === 'change' ? [...e.steps] : [];
  const what = e.kind === 'change' ? [e.reason] : [];
  if (state === 'present' && p.reload !== false) {
    if (f.live === undefined && !p.ignoreerrors && !ctx.check) throw new Error(`sysctl ${key} does not exist in the running kernel`);
    if (f.live !== undefined && norm(f.live) !== value) {
      steps.push({ desc: `sysctl -w ${key}`, cmd: `sysctl -w ${q(`${key}=${value}`)}${p.ignoreerrors ? ' || :' : ''}` });
      what.push(`runtime ${f.live} -> ${value}`);
    }
  }
  // as ansible.posix.sysctl: nothing registered but changed (and kvplay's backup_file)
  if (!steps.length) return { kind: 'ok', reason: `${key}: ${state === 'present' ? `${value} (file and kernel)` : 'not in the file'}` };
  return { kind: 'change', reason: what.join('; '), steps, ...(e.kind === 'change' && e.diff ? { diff: e.diff } : {}) };
}

const schema = object(
  {
    name: str('Parameter, e.g. net.ipv4.ip_forward (slashes allowed). Alias: key (ansible.posix.sysctl).', { aliases: ['key'] }),
    value: typed<string | number | boolean>({ type: ['string', 'number', 'boolean'], aliases: ['val'], description: 'Desired value (required with state present). Alias: val (ansible.posix.sysctl).' }),
    state: strEnum(['present', 'absent'], 'present (default) or absent (removed from the file; the kernel value is left).'),
    sysctl_file: str('File to edit (default /etc/sysctl.conf; /etc/sysctl.d/NAME.conf is preferable).'),
    reload: bool('Also set the running value (sysctl -w NAME=VALUE) when it differs.', true),
    sysctl_set: bool('Accepted for compatibility: the running value is set whenever reload is on.', false),
    ignoreerrors: bool('Ignore a parameter unknown to the running kernel.', false),
    backup: backupProp,
  },
  { required: ['name'] },
);

export const sysctl: Module<SysctlParams, Facts> = {
  name: 'sysctl',
  reasonIsMsg: false,
  doc: 'A kernel parameter in a sysctl file and (reload, default) in the running kernel.',
  notes: `One \`name = value\` line in the sysctl file (atomic write, backup) and, with \`reload\` (default), \`sysctl -w name=value\` when the running value differs (only that key, not a whole \`sysctl -p\`). Alias \`ansible.posix.sysctl\`.`,
  examples: `- sysctl: {name: net.ipv4.ip_forward, value: 1, sysctl_file: /etc/sysctl.d/90-kvplay.conf}
`,
  schema,
  facts: (p) => ({ ...editFacts({ path: p.sysctl_file ?? '/etc/sysctl.conf' }), live: { cmd: `sysctl -n ${q(keyOf(p.name))} 2>/dev/null`, parse: (r) => (r.code === 0 ? r.stdout.trim() : undefined), explain: (v) => ({ cmd: `sysctl -n ${q(keyOf(p.name))}`, found: v === undefined ? 'no such parameter in the running kernel' : String(v) }) } }),
  plan: planSysctl,
  result: (_p, _f, results) => editResult(results),
};
