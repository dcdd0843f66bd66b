/**
 * docs/modules.md, generated from the modules themselves (scripts/gen-docs.mjs writes it; a test
 * compares it with the file): each module's doc line, parameter table (its schema), notes and
 * examples (the module file), the same source `kvplay --doc` prints (src/cli/doc.ts).
 */
import type { ModuleMeta } from '../engine/module/entry.js';
import { MODULES, moduleMeta, moduleNames } from '../engine/module/registry.js';
import { schemaProps, type Prop } from './doc.js';


function typeOf(s: Prop & { anyOf?: unknown[] }): string {
  if (s.enum) return s.enum.map((x) => `\`${String(x)}\``).join(' \\| ');
  if (s.anyOf) return 'list of hosts or {host, options}';
  const t = Array.isArray(s.type) ? s.type.join(' \\| ') : (s.type ?? 'any');
  return t === 'array' ? 'list' : t;
}

/** A module's notes and examples as markdown ('' when it has none). */
export function proseMarkdown(m: Pick<ModuleMeta, 'notes' | 'examples'>): string {
  return [m.notes ?? '', m.examples ? '```yaml\n' + m.examples + '```' : ''].filter(Boolean).join('\n\n');
}

function section(m: ModuleMeta): string {
  const { props, required } = schemaProps(m);
  let out = `## ${m.name}\n\n${m.doc}${m.aliases.length ? `\n\nAlso answers to: ${m.aliases.map((a) => `\`${a}\``).join(', ')}.` : ''}\n\n`;
  out += '| parameter | type | default | description |\n| --- | --- | --- | --- |\n';
  for (const [k, v] of Object.entries(props)) {
    const d = v.default !== undefined ? `\`${JSON.stringify(v.default)}\`` : required.has(k) ? '**required**' : '';
    out += `| \`${k}\` | ${typeOf(v)} | ${d} | ${String(v.description ?? '').replace(/\|/g, '\\|')} |\n`;
  }
  return out + `\n${proseMarkdown(m)}\n\n`;
}

const INTRO = `# System modules

<!-- generated from the modules (src/modules/*.ts) by scripts/gen-docs.mjs (npm run docs, also run
by npm run build): edit the module files, not this file; test/modules/docs-generated.test.ts fails
when this file is out of date. -->

kvplay's modules for the lab's system work: packages, services, firewalld, NFS exports,
mounts, the bridge and SSH trust. Every module follows the contract of src/engine/module/types.ts:
its parameters are a JSON schema (validated before the run and again after templating), its
facts are read right before planning in ONE round trip, planning is pure (tested from facts
recorded on the lab hosts: test/modules/sys), check mode runs only the facts and the plan,
\`--diff\` shows what changes, and nothing to do is \`ok\` with a reason. Every value reaching a
command line is quoted (src/util/quote.ts); files are written atomically (temp file +
rename) and an existing file under /etc is backed up first (\`FILE.YYYYMMDDTHHMMSS.kvplay~\`).

Each section below comes from its module file: the one-line doc, the parameters (the schema),
the notes and the examples; \`kvplay --doc MODULE\` prints the same.
`;

const ROLES = `## The roles that use them (playbooks/site.yaml)

| stage (tag) | role | hosts | what |
| --- | --- | --- | --- |
| nfs | roles/nfs_server | nfs_servers | packages per family and backend (\`nfs_backend\`: kernel or ganesha) with \`policy_rc_d: 101\`; firewalld and rpcbind enabled and running; /nfsshare; the export (clients: the KVM hosts' \`ansible_host\`, never \`*\`) in /etc/exports (handler: \`exportfs -ra\`) or as a ganesha EXPORT block (ganesha.conf pins MNT_Port 20048 and NLM_Port 32803; handler: restart nfs-ganesha); firewalld services rpc-bind, nfs, mountd permanent + runtime; \`showmount -e\` check (asked from a KVM host for ganesha). |
| storage | roles/shared_storage | kvm_hosts | client packages, rpcbind, \`showmount -e\` of the server (a clear error naming the server when it does not answer), the mount at /kvm/disk (nfs, or sshfs when \`shared_storage_backend: sshfs\`: root key, the server authorizes it, its host key in root's known_hosts), then a token written on the first KVM host must be read back on every other one. |
| bridge | roles/bridge | kvm_hosts | br0 over the uplink; the next task checks br0 over SSH. |
| ssh_trust | roles/ssh_trust | kvm_hosts | root key pairs, every KVM host authorizes every KVM host's root key and knows their host keys by name and address, then \`ssh -o BatchMode=yes\` to each. |

`;

/** The text of docs/modules.md. */
export function modulesMarkdown(): string {
  const sys = MODULES.filter((e) => e.group === 'sys').map((e) => moduleMeta(e.name)!);
  const others = moduleNames().map((n) => moduleMeta(n)!).filter((m) => m.group !== 'sys');
  let out = `${INTRO}\n| module | what it does |\n| --- | --- |\n${sys.map((m) => `| [\`${m.name}\`](#${m.name}) | ${m.doc} |`).join('\n')}\n\n`;
  for (const m of sys) out += section(m);
  out += ROLES;
  out += `## Other modules\n\nThe general modules (files, commands, control) are documented by their schemas and \`kvplay --doc MODULE\`:\n\n${others.map((m) => `- \`${m.name}\`: ${m.doc}`).join('\n')}\n`;
  return out;
}
