/**
 * `kvplay --doc MODULE`: a module's documentation, generated from the module itself: its doc line,
 * its JSON schema (the one source of its parameters), its notes and examples (the module file).
 * docs/modules.md is generated from the same (src/cli/docs-md.ts).
 */
import { moduleMeta, moduleNames } from '../engine/module/registry.js';
import { didYouMean } from '../util/suggest.js';
import type { ModuleInfo } from '../engine/module/types.js';

export interface Prop {
  type?: string | string[];
  description?: string;
  enum?: unknown[];
  default?: unknown;
  items?: Prop;
  /** other names of the parameter (src/engine/module/schema.ts) */
  aliases?: string[];
}

/** A module's documented parameters (the schema's, without internal `_` ones) and which are required. */
export function schemaProps(mod: ModuleInfo): { props: Record<string, Prop>; required: Set<string> } {
  const schema = mod.schema as { properties?: Record<string, Prop>; required?: string[] };
  const props: Record<string, Prop> = {};
  for (const [k, p] of Object.entries(schema.properties ?? {})) if (!k.startsWith('_')) props[k] = p;
  return { props, required: new Set(schema.required ?? []) };
}

export function moduleDoc(name: string): string | undefined {
  const mod = moduleMeta(name);
  if (!mod) return undefined;
  const { props, required } = schemaProps(mod);
  const lines = [`${mod.name} — ${mod.doc}`];
  if (mod.aliases.length) lines.push(`also: ${mod.aliases.join(', ')}`);
  if (mod.freeForm) lines.push(`free form: "${mod.name}: TEXT" sets ${mod.freeForm}`);
  lines.push('', 'parameters:');
  for (const [k, p] of Object.entries(props)) {
    const type = p.enum ? p.enum.map(String).join('|') : Array.isArray(p.type) ? p.type.join('|') : p.type === 'array' && p.items?.type ? `list of ${p.items.type}` : (p.type ?? 'any');
    const flags = [required.has(k) ? 'required' : '', p.default !== undefined ? `default ${JSON.stringify(p.default)}` : '', p.aliases?.length ? `aliases ${p.aliases.join(', ')}` : ''].filter(Boolean).join(', ');
    lines.push(`  ${k} (${type}${flags ? '; ' + flags : ''})`);
    if (p.description) lines.push(`      ${p.description}`);
  }
  if (mod.notes) lines.push('', 'notes:', ...mod.notes.split('\n').map((l) => (l ? `  ${l}` : l)));
  if (mod.examples) lines.push('', 'examples:', ...mod.examples.replace(/\n$/, '').split('\n').map((l) => `  ${l}`));
  return lines.join('\n');
}

export function docOrHint(name: string): { text: string; ok: boolean } {
  const d = moduleDoc(name);
  if (d) return { text: d, ok: true };
  return { text: `no module named '${name}'. ${didYouMean(name, moduleNames())}`.trim(), ok: false };
}
