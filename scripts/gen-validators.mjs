// Writes what a run needs of the modules before any task runs, from the compiled modules (dist/src):
//  - dist/modules.json: every module's ModuleInfo (name, doc, schema, freeForm, templateKeys), so the
//    playbook loader checks tasks without loading module code (src/engine/module/registry.ts);
//  - dist/validators/NAME.cjs: each module's parameter validator as ajv standalone code, so kvplay
//    does not compile JSON schemas at each start. validate.ts uses a precompiled validator only when
//    the schema's hash matches (a stale file is never trusted) and compiles otherwise.
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { MODULES, infoOf } from '../dist/src/engine/module/registry.js';
import { AJV_OPTIONS, schemaHash } from '../dist/src/engine/module/validate.js';

const standalone = standaloneCode.default ?? standaloneCode;
/** write, then rename: a kvplay running meanwhile reads the old file or the new one, never half of one */
const put = (file, text) => {
  writeFileSync(file + '.tmp', text);
  renameSync(file + '.tmp', file);
};

const mods = await Promise.all(MODULES.map((e) => e.load()));
mkdirSync('dist/validators', { recursive: true });
for (const mod of mods) {
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
  ajv.addSchema(mod.schema, 'kvplay');
  put(`dist/validators/${mod.name}.cjs`, `${standalone(ajv, { validate: 'kvplay' })}\nexports.hash = ${JSON.stringify(schemaHash(mod.schema))};\n`);
}
const names = new Set(mods.map((m) => `${m.name}.cjs`));
for (const f of readdirSync('dist/validators')) if (!names.has(f)) rmSync(`dist/validators/${f}`, { force: true });
rmSync('dist/validators.cjs', { force: true }); // the former single file
put('dist/modules.json', JSON.stringify(mods.map(infoOf)));
console.log(`dist/modules.json: ${mods.length} modules; dist/validators/: ${mods.length} validators`);
