/**
 * tempfile: Ansible's tempfile: a new temporary file (mode 0600) or directory (0700) named
 * PREFIX + 8 random characters + SUFFIX, in `path` or the host's temporary directory. Always a
 * change; not run in check mode (Ansible's module does not support it: the task is skipped).
 */
import { q } from '../util/quote.js';
import type { ExecResult } from '../transport/types.js';
import type { Module, ModuleCtx, Plan } from '../engine/module/types.js';
import { object, str, strEnum, type Static } from '../engine/module/schema.js';

export type TempfileParams = Static<typeof schema>;

export function planTempfile(p: TempfileParams, ctx: Pick<ModuleCtx, 'check'>): Plan {
  const prefix = p.prefix ?? 'ansible.';
  const suffix = p.suffix ?? '';
  if (prefix.includes('/') || suffix.includes('/')) throw new Error(`[Errno 2] No such file or directory: '${prefix}XXXXXXXX${suffix}'`);
  const dir = p.path !== undefined ? q(p.path) : '"${TMPDIR:-/tmp}"';
  const cmd = `mktemp ${p.state === 'directory' ? '-d ' : ''}--tmpdir=${dir} ${suffix ? `--suffix=${q(suffix)} ` : ''}${q(`${prefix}XXXXXXXX`)}`;
  const result = ctx.check ? { skipped: true, msg: 'remote module (tempfile) does not support check mode' } : {};
  return { kind: 'change', reason: `temporary ${p.state ?? 'file'}`, steps: [{ desc: `mktemp ${p.state === 'directory' ? '-d' : ''}`.trim(), cmd }], result };
}

const schema = object({
  state: strEnum(['file', 'directory'], 'file (default) or directory.'),
  path: str('The directory to create it in (default: $TMPDIR or /tmp).'),
  prefix: str("The name's prefix (default 'ansible.')."),
  suffix: str("The name's suffix (default '')."),
});

export const tempfile: Module<TempfileParams> = {
  name: 'tempfile',
  reasonIsMsg: false,
  doc: "Ansible's tempfile: create a temporary file or directory on the host; registers its path.",
  schema,
  plan: (p, _f, ctx) => planTempfile(p, ctx),
  result: (_p, _f, results: ExecResult[]) => (results[0]?.code === 0 ? { path: results[0].stdout.trim() } : {}),
};
