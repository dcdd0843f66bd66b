/**
 * nfs_export: one NFS export as data. Kernel backend: an entry of /etc/exports (parsed
 * structurally, other lines kept); ganesha backend: an EXPORT block of a ganesha config file.
 * Options are validated against exports(5) BEFORE anything is written; the file is rewritten
 * atomically with a backup (lib/edit.ts + lib/fileops.ts). reload: true re-exports after a change.
 */
import type { Module, ModuleCtx, Plan } from '../engine/module/types.js';
import { editFacts, editResult, planEdit, type EditFacts } from './lib/edit.js';
import { backupProp, bool, int, object, str, strEnum, type Static, typed } from '../engine/module/schema.js';
import { editExports, formatEntry, normPath, parseExports, validateEntry, type ExportEntry } from './nfs_export/exports.js';
import type { ExplainCheck } from '../engine/module/types.js';
import type { FileState } from './lib/fileops.js';
import { lineCount } from '../engine/module/explain.js';
import { q } from '../util/quote.js';
import { editGanesha } from './nfs_export/ganesha.js';

export type NfsExportParams = Static<typeof schema>;

export function entryOf(p: NfsExportParams): ExportEntry {
  const opts = (o: string[] | string | undefined) => (Array.isArray(o) ? o : String(o ?? '').split(',')).map((x) => String(x).trim()).filter(Boolean);
  const clients = (p.clients ?? []).map((c) =>
    typeof c === 'string' ? { host: c.trim(), options: opts(p.options) } : { host: String(c.host).trim(), options: opts(c.options ?? p.options) },
  );
  return { path: normPath(String(p.path).trim()), clients };
}

export function exportsFile(p: NfsExportParams): string {
  return p.exports_file ?? (p.backend === 'ganesha' ? '/etc/ganesha/ganesha.conf' : '/etc/exports');
}

/** --explain: the exports file and its entries for `path` (`grep` would show the same lines). */
export function exportsCheck(st: FileState, path: string): ExplainCheck {
  const file = q(st.path);
  const cmd = `cat ${file}`;
  if (!st.exists) return { cmd, found: `${st.path} does not exist yet` };
  const text = st.content?.toString('utf8') ?? '';
  const mine = parseExports(text).filter((l) => l.entry?.path === path).map((l) => formatEntry(l.entry!).trim());
  const n = lineCount(text);
  return { cmd, found: `${n} line${n === 1 ? '' : 's'}; ${mine.length ? mine.join(' | ') : `${path} is not exported`}` };
}

export function planNfsExport(p: NfsExportParams, facts: EditFacts, ctx: ModuleCtx): Plan {
  const state = p.state ?? 'present';
  const entry = entryOf(p);
  if (state === 'present') validateEntry(entry);
  else if (!entry.path.startsWith('/')) throw new Error(`export path '${entry.path}' must be absolute`);
  const file = exportsFile(p);
  let ignored: string[] = [];
  const plan = planEdit({ path: file, create: true, backup: p.backup }, facts, (old) => {
    if (p.backend === 'ganesha') {
      const r = editGanesha(old, entry, state, { exportId: p.export_id, pseudo: p.pseudo });
      ignored = r.ignored;
      return r;
    }
    return editExports(old, entry, state);
  }, ctx);
  const result = { path: entry.path, exports_file: file, backend: p.backend ?? 'kernel', ...(ignored.length ? { ignored_options: ignored } : {}) };
  if (plan.kind === 'ok') return { ...plan, result: { ...plan.result, ...result } };
  if (p.reload) {
    plan.steps.push(
      p.backend === 'ganesha'
        ? { desc: 'reload nfs-ganesha', cmd: 'if systemctl is-active -q nfs-ganesha; then systemctl reload nfs-ganesha; fi' }
        : { desc: 'exportfs -ra', cmd: 'exportfs -ra' },
    );
  }
  return { ...plan, result: { ...plan.result, ...result } };
}

const schema = object(
  {
    path: str('The exported directory (absolute).'),
    clients: typed<(string | { host: string; options?: string | string[] })[]>({
      type: 'array',
      description: 'Who may mount it: a list of hosts, or of {host, options}; a host is a name, address, network (10.0.0.0/24), @netgroup or *; options a list (or comma string) of exports(5) options, e.g. [rw, sync, no_root_squash]. Plain hosts get `options`.',
      items: {
        anyOf: [
          { type: 'string' },
          object(
            {
              host: str('Client host, address, network or *.'),
              options: typed<string[] | string>({ type: ['array', 'string'], items: { type: 'string' }, description: 'exports(5) options.' }),
            },
            { required: ['host'] },
          ),
        ],
      },
    }),
    options: typed<string[] | string>({ type: ['array', 'string'], items: { type: 'string' }, description: 'Options for clients given without their own (list or comma string), e.g. [rw, sync, no_root_squash].' }),
    state: strEnum(['present', 'absent'], 'present (default): the entry is exactly as given; absent: every entry of the path is removed.'),
    backend: strEnum(['kernel', 'ganesha'], 'kernel (default): /etc/exports; ganesha: an EXPORT block (options mapped to Access_Type, Squash, SecType...).'),
    exports_file: str('File to edit (default /etc/exports, or /etc/ganesha/ganesha.conf for ganesha).'),
    reload: bool('After a change: exportfs -ra (kernel) or reload nfs-ganesha if running. Roles usually notify a handler instead.', false),
    export_id: int('ganesha: Export_Id (default: the existing block\'s, else the next free one).', { minimum: 1, maximum: 65535 }),
    pseudo: str('ganesha: NFSv4 pseudo path (default: the path).'),
    backup: backupProp,
  },
  {
    required: ['path'],
    if: { not: { properties: { state: { const: 'absent' } }, required: ['state'] } },
    then: { required: ['clients'] },
  },
);

export const nfs_export: Module<NfsExportParams, EditFacts> = {
  name: 'nfs_export',
  doc: 'One NFS export as data: an /etc/exports entry (kernel) or a ganesha EXPORT block; options validated before any write.',
  notes: `The export is data: \`path\` + \`clients\`. Kernel backend: /etc/exports is parsed structurally (comments, continuation lines and other exports are kept byte for byte); the entry of the path is added, replaced or removed (clients and options compared as sets). Ganesha backend: the \`EXPORT { … }\` block whose \`Path\` is the path, in \`exports_file\` (the nfs_server role includes that file from its ganesha.conf); options are mapped (\`rw\`/\`ro\` → \`Access_Type\`, \`root_squash\`/\`no_root_squash\`/\`all_squash\` → \`Squash\`, \`anonuid\`/\`anongid\`, \`sec\`, \`secure\`/\`insecure\` → \`PrivilegedPort\`; the rest, e.g. \`sync\`, has no ganesha meaning and is reported in \`ignored_options\`). Every option is checked against exports(5) BEFORE anything is written; the error names the option and the client and suggests the closest known option. Files are written atomically with a backup. \`reload: true\` runs \`exportfs -ra\` (or reloads a running nfs-ganesha) after a change; roles notify a handler instead. Note: ganesha answers \`showmount -e\` only with the exports the asking client may mount.`,
  examples: `- nfs_export:
    path: /nfsshare
    clients: "{{ groups.kvm_hosts | map('extract', hostvars, 'ansible_host') | list }}"
    options: [rw, sync, no_root_squash]
  notify: re-export NFS
`,
  schema,
  facts: (p) => {
    const f = editFacts({ path: exportsFile(p) });
    // --explain: for /etc/exports, what the file says of this path (the generic file check for ganesha)
    if (p.backend !== 'ganesha') f.file = { ...f.file, explain: (st) => exportsCheck(st as FileState, normPath(String(p.path).trim())) };
    return f;
  },
  plan: planNfsExport,
  result: (_p, _f, results) => editResult(results),
};
