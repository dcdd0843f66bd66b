// Writes dist/validators.cjs: every module's parameter validator as ajv standalone code, so
// kvplay does not compile JSON schemas at each start. validate.ts uses a precompiled validator
// only when the schema's hash matches (a stale file is never trusted) and compiles otherwise.
import { writeFileSync, renameSync } from 'node:fs';
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { allModuleNames, getModule } from '../dist/src/modules/index.js';
import { AJV_OPTIONS, schemaHash } from '../dist/src/modules/validate.js';

const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
const mapping = {};
const hashes = {};
for (const name of allModuleNames()) {
  const mod = getModule(name);
  if (!mod || mod.name !== name) continue; // aliases share their module's validator
  const id = `kvplay:${name}`;
  ajv.addSchema(mod.schema, id);
  mapping[name] = id;
  hashes[name] = schemaHash(mod.schema);
}
const code = standaloneCode.default ? standaloneCode.default(ajv, mapping) : standaloneCode(ajv, mapping);
const tmp = 'dist/validators.cjs.tmp';
writeFileSync(tmp, `${code}\nexports.hashes = ${JSON.stringify(hashes)};\n`);
renameSync(tmp, 'dist/validators.cjs');
console.log(`dist/validators.cjs: ${Object.keys(mapping).length} validators`);
