// JSON Schemas for editors (yaml-language-server, VS Code's YAML extension), generated from the
// module schemas of the build (dist/modules.json) and the keywords kvplay knows:
//   schemas/playbook.schema.json   a playbook (plays, import_playbook items)
//   schemas/tasks.schema.json      a task list (a role's tasks/ or handlers/ file, an include_tasks file)
//   schemas/inventory.schema.json  an Ansible YAML inventory (groups with hosts, vars, children)
// Run by `npm run build` after gen-validators.mjs (or alone: node scripts/gen-schema.mjs).
// A value may always be a template ("{{ x }}") and a module's arguments a `k=v` string, as kvplay
// accepts them; unknown module names, unknown parameters and misspelled keywords are flagged.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { MODULES } from '../dist/src/modules/index.js';
import { BLOCK_KEYS, ENGINE_ACTIONS, PLAY_KEYS, TASK_KEYS } from '../dist/src/playbook/keywords.js';

const infos = new Map(JSON.parse(readFileSync('dist/modules.json', 'utf8')).map((i) => [i.name, i]));
const TEMPLATE = { type: 'string', pattern: '\\{\\{|\\{%' };
const SCALAR_TYPES = new Set(['boolean', 'integer', 'number']);

/** A module parameter's schema, relaxed where kvplay accepts more: templates everywhere, yes/no and numeric strings. */
function relax(s) {
  if (!s || typeof s !== 'object' || Array.isArray(s)) return s;
  const out = { ...s };
  if (s.properties) {
    out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, relax(v)]));
    // Ansible's aliases (a property's `aliases`, src/engine/module/schema.ts) are valid keys too,
    // and a required parameter may be given under one of them
    const required = new Set(s.required ?? []);
    for (const [k, v] of Object.entries(s.properties)) {
      if (!v?.aliases?.length) continue;
      for (const a of v.aliases) out.properties[a] ??= { ...relax(v), description: `Alias of ${k}.` };
      if (required.has(k)) {
        required.delete(k);
        out.allOf = [...(out.allOf ?? []), { anyOf: [k, ...v.aliases].map((n) => ({ required: [n] })) }];
      }
    }
    if (s.required) out.required = [...required];
  }
  if (s.items && typeof s.items === 'object') out.items = relax(s.items);
  if (s.additionalProperties && typeof s.additionalProperties === 'object') out.additionalProperties = relax(s.additionalProperties);
  for (const k of ['anyOf', 'oneOf']) if (Array.isArray(s[k])) out[k] = s[k].map(relax);
  const types = s.type === undefined ? [] : [].concat(s.type);
  const constrained = types.length || s.enum || s.const !== undefined || s.pattern;
  if (!constrained) return out;
  const { description, default: dflt, ...rest } = out;
  const head = { ...(description ? { description } : {}), ...(dflt !== undefined ? { default: dflt } : {}) };
  // a boolean as yes/no/"true", a number as "8", a list as one string: kvplay converts them (as Ansible does)
  if (types.length && !types.includes('string') && (types.some((t) => SCALAR_TYPES.has(t)) || types.includes('array'))) return { ...head, anyOf: [rest, { type: 'string' }] };
  return { ...head, anyOf: [rest, TEMPLATE] };
}

const definitions = {};
const moduleProps = {};
for (const e of MODULES) {
  const info = infos.get(e.name);
  if (!info) throw new Error(`dist/modules.json lacks module ${e.name}: run npm run build`);
  const def = `module_${e.name}`;
  const schema = relax(info.schema);
  // a module's arguments: its parameters, a free-form / `k=v` string, or nothing (`ping:`)
  definitions[def] = { description: info.doc, anyOf: [schema, { type: 'string' }, { type: 'null' }] };
  for (const n of [e.name, ...e.aliases]) moduleProps[n] = { $ref: `#/definitions/${def}`, description: info.doc };
}

const anyValue = (description) => ({ description });
const taskList = { type: 'array', items: { $ref: '#/definitions/task' } };
const keywordProps = {};
for (const k of [...TASK_KEYS, ...BLOCK_KEYS]) keywordProps[k] = anyValue(`Task keyword ${k}.`);
for (const k of ENGINE_ACTIONS) keywordProps[k] = anyValue(`${k} (run by kvplay's engine).`);
Object.assign(keywordProps, {
  block: { ...taskList, description: 'Tasks run together; rescue runs when one fails, always runs in any case.' },
  rescue: { ...taskList, description: 'Tasks run when a task of the block failed.' },
  always: { ...taskList, description: 'Tasks run after the block and rescue in any case.' },
});
definitions.task = {
  type: 'object',
  description: 'A task (one module or engine action with its keywords) or a block.',
  properties: { ...keywordProps, ...moduleProps },
  patternProperties: { '^with_[a-z_]+$': { description: 'A loop over a lookup (with_items, with_dict, ...).' } },
  additionalProperties: false,
};

const playProps = {};
for (const k of PLAY_KEYS) playProps[k] = anyValue(`Play keyword ${k}.`);
for (const k of ['pre_tasks', 'tasks', 'post_tasks', 'handlers']) playProps[k] = { ...taskList, description: `The play's ${k}.` };
playProps.hosts = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], description: 'A host pattern (groups, hosts, a:b, a:&b, a:!b, globs).' };
playProps.roles = {
  type: 'array',
  description: "Roles run before the play's tasks.",
  items: { anyOf: [{ type: 'string' }, { type: 'object', properties: { role: { type: 'string' }, name: { type: 'string' } } }] },
};
playProps.vars = { anyOf: [{ type: 'object' }, { type: 'array', items: { type: 'object' } }, TEMPLATE], description: 'Play variables.' };
playProps.vars_files = { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] }, description: 'Variable files (an item that is a list: the first file found).' };
definitions.play = { type: 'object', description: 'A play.', properties: playProps, required: ['hosts'], additionalProperties: false };
const importPlaybook = { type: 'string', description: 'Run the plays of another playbook here.' };
definitions.import_playbook = {
  type: 'object',
  properties: { import_playbook: importPlaybook, 'ansible.builtin.import_playbook': importPlaybook, name: {}, vars: { type: 'object' }, when: {}, tags: {} },
  anyOf: [{ required: ['import_playbook'] }, { required: ['ansible.builtin.import_playbook'] }],
  additionalProperties: false,
};

const draft = 'http://json-schema.org/draft-07/schema#';
const playbook = {
  $schema: draft,
  $id: 'https://kvplay.dev/schemas/playbook.schema.json',
  title: 'kvplay playbook',
  description: 'A kvplay (Ansible-compatible) playbook: a list of plays.',
  type: 'array',
  items: { anyOf: [{ $ref: '#/definitions/import_playbook' }, { $ref: '#/definitions/play' }] },
  definitions,
};
const tasks = {
  $schema: draft,
  $id: 'https://kvplay.dev/schemas/tasks.schema.json',
  title: 'kvplay task list',
  description: "A list of tasks: a role's tasks/ or handlers/ file, an include_tasks/import_tasks file.",
  ...taskList,
  definitions,
};

const hostVars = {
  type: ['object', 'null'],
  description: "A host's variables.",
  properties: {
    ansible_host: { type: 'string', description: 'The address to connect to.' },
    ansible_port: { anyOf: [{ type: 'integer' }, { type: 'string' }], description: 'The SSH port.' },
    ansible_user: { type: 'string', description: 'The SSH user.' },
    ansible_ssh_private_key_file: { type: 'string', description: 'The SSH private key.' },
    ansible_become: { anyOf: [{ type: 'boolean' }, { type: 'string' }] },
    ansible_become_user: { type: 'string' },
    ansible_become_method: { type: 'string', description: 'sudo or su.' },
    ansible_connection: { type: 'string', description: 'ssh (default) or local.' },
  },
};
const inventory = {
  $schema: draft,
  $id: 'https://kvplay.dev/schemas/inventory.schema.json',
  title: 'kvplay / Ansible YAML inventory',
  description: 'Groups (all, and any other) with hosts, vars and children.',
  type: 'object',
  additionalProperties: { $ref: '#/definitions/group' },
  definitions: {
    group: {
      type: ['object', 'null'],
      properties: {
        hosts: { type: ['object', 'null'], description: 'Hosts of the group, each with its variables.', additionalProperties: { $ref: '#/definitions/hostvars' } },
        vars: { type: ['object', 'null'], description: 'Variables of every host in the group.' },
        children: { type: ['object', 'null'], description: 'Sub-groups.', additionalProperties: { $ref: '#/definitions/group' } },
      },
      additionalProperties: false,
    },
    hostvars: hostVars,
  },
};

mkdirSync('schemas', { recursive: true });
const put = (file, obj) => {
  writeFileSync(file + '.tmp', JSON.stringify(obj, null, 1) + '\n');
  renameSync(file + '.tmp', file);
};
put('schemas/playbook.schema.json', playbook);
put('schemas/tasks.schema.json', tasks);
put('schemas/inventory.schema.json', inventory);
console.log(`schemas/: playbook, tasks, inventory (${Object.keys(moduleProps).length} module names)`);
