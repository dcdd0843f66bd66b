/**
 * known_hosts (ansible.builtin.known_hosts): a host's public key in a user's known_hosts,
 * plain or hashed. The key is given (read from the target host through kvplay, e.g. its
 * /etc/ssh/ssh_host_ed25519_key.pub), never fetched blindly over the network. An entry of the
 * same host and key type with another key is replaced (the host was reinstalled).
 */
import { pathInfo, reportFrom, withStatAfter } from './lib/pathinfo.js';
import type { Module, ModuleCtx, Plan } from '../engine/module/types.js';
import { backupProp, bool, object, str, strEnum, type Static } from '../engine/module/schema.js';
import { hashHost, hostFieldMatches, lines, parseKnownHostsLine, parsePubKey, userFileDiff, writeUserFile, type PubKey } from './lib/sshfiles.js';
import { userFileFact, type UserFile } from '../facts/sshfiles.js';

export type KnownHostsParams = Static<typeof schema>;

/** The key of a `key` parameter: "TYPE BLOB [comment]" or "HOSTS TYPE BLOB" (HOSTS must name `name`). */
export function keyOf(name: string, key: string): PubKey {
  const text = key.trim();
  const direct = parsePubKey(text);
  if (direct && !direct.options) return direct;
  const kh = parseKnownHostsLine(text);
  if (!kh) throw new Error(`not a host key: '${text.length > 60 ? text.slice(0, 57) + '...' : text}'`);
  if (!hostFieldMatches(kh.hosts, name)) throw new Error(`the key line names ${kh.hosts}, not ${name}`);
  return kh.key;
}

/** Pure edit. */
export function editKnownHosts(old: string, name: string, key: PubKey | undefined, state: 'present' | 'absent', hash: boolean, salt?: Buffer): { text: string; msg: string } {
  const ls = lines(old);
  const mine = ls.map((l, i) => {
    const e = parseKnownHostsLine(l);
    return e && !e.marker && hostFieldMatches(e.hosts, name) ? { i, e } : undefined;
  }).filter((x): x is NonNullable<typeof x> => !!x);
  if (state === 'absent') {
    const rm = key ? mine.filter((m) => m.e.key.type === key.type) : mine;
    if (!rm.length) return { text: old, msg: `${name}: not present` };
    for (const m of rm) ls[m.i] = '';
    return { text: ls.join(''), msg: `${name}: ${rm.length} key(s) removed` };
  }
  const k = key!;
  if (mine.some((m) => m.e.key.blob === k.blob && m.e.key.type === k.type)) return { text: old, msg: `${name}: key present` };
  const stale = mine.filter((m) => m.e.key.type === k.type);
  const line = `${hash ? hashHost(name, salt) : name} ${k.type} ${k.blob}\n`;
  for (const m of stale) ls[m.i] = '';
  let text = ls.join('');
  if (text && !text.endsWith('\n')) text += '\n';
  return { text: text + line, msg: stale.length ? `${name}: ${k.type} key replaced (it changed)` : `${name}: ${k.type} key added` };
}

export function planKnownHosts(p: KnownHostsParams, f: UserFile, ctx: Pick<ModuleCtx, 'check' | 'diff'>): Plan {
  const state = p.state ?? 'present';
  if (!/^(\[[^\]\s]+\]:\d+|[^\s,#|[\]]+)$/.test(p.name)) throw new Error(`invalid host name '${p.name}' (one host, or [host]:port)`);
  if (state === 'present' && !String(p.key ?? '').trim()) throw new Error('key is required with state present');
  const key = p.key && String(p.key).trim() ? keyOf(p.name, p.key) : undefined;
  if (!f.known) {
    if (ctx.check) return { kind: 'change', reason: `${p.name}: key added (check mode: the user does not exist yet)`, steps: [] };
    throw new Error(`user '${p.user}' does not exist on the host`);
  }
  const old = f.content ?? '';
  const r = editKnownHosts(old, p.name, key, state, p.hash_host === true);
  // as Ansible's known_hosts: its parameters and the file's information (which replaces `state`); check mode: nothing more
  const result = ctx.check ? {} : { name: p.name, key: p.key ?? null, path: f.path, hash_host: p.hash_host === true, state, ...(f.st ? pathInfo(f.st) : {}) };
  if (r.text === old) return { kind: 'ok', reason: `${f.path}: ${r.msg}`, result };
  const steps = writeUserFile(f, r.text, 0o644, p.backup);
  steps[steps.length - 1] = withStatAfter(steps[steps.length - 1], f.path);
  return { kind: 'change', reason: `${f.path}: ${r.msg}`, steps, diff: ctx.diff ? [userFileDiff(f, r.text)] : undefined, result };
}

const schema = object(
  {
    name: str('The host as ssh will be asked for it (kvm2, an address, or [host]:port).'),
    key: str('The host key: "ssh-ed25519 AAAA..." (as in /etc/ssh/ssh_host_ed25519_key.pub) or a known_hosts line naming the host.'),
    state: strEnum(['present', 'absent'], 'present (default) or absent (all keys of the host, or of the key\'s type when key is given).'),
    path: str('known_hosts file (absolute, or relative to the user\'s home; default .ssh/known_hosts).'),
    user: str('Whose known_hosts (default: the connecting user).'),
    hash_host: bool('Write the host name hashed (|1|salt|hash), as HashKnownHosts does.', false),
    backup: backupProp,
  },
  { required: ['name'] },
);

export const known_hosts: Module<KnownHostsParams, { file: UserFile }> = {
  name: 'known_hosts',
  reasonIsMsg: false,
  doc: "Record a host's public key in a user's known_hosts (plain or hashed); a changed key of the same type is replaced.",
  notes: `The key is given — read from the target host through kvplay (e.g. \`cat /etc/ssh/ssh_host_ed25519_key.pub\` registered there), not fetched with ssh-keyscan over the network, so it is the real one. Entries of the host are found plain or hashed (\`|1|salt|hash\`); the same key present → \`ok\`; another key of the same type → replaced (reinstalled host). \`hash_host: true\` writes the name hashed. Alias \`ansible.builtin.known_hosts\`.`,
  examples: `- command: cat /etc/ssh/ssh_host_ed25519_key.pub
  register: hostkey
  check_mode: false
  changed_when: false
- known_hosts: {name: "{{ item }}", key: "{{ hostvars[item].hostkey.stdout }}", user: root}
  loop: "{{ groups.kvm_hosts }}"
`,
  schema,
  facts: (p) => ({ file: userFileFact(p.user, p.path ?? '.ssh/known_hosts') }),
  plan: (p, f, ctx) => planKnownHosts(p, f.file, ctx),
  result: (_p, _f, results) => {
    const r = reportFrom(results);
    return r.stat ? pathInfo(r.stat) : {};
  },
};
