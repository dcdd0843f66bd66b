/** `kvplay --doc MODULE`: a module's documentation, generated from its JSON schema (the one source of its parameters). */
import { moduleMeta, moduleNames } from '../modules/index.js';
import { didYouMean } from '../util/suggest.js';

interface Prop {
  type?: string | string[];
  description?: string;
  enum?: unknown[];
  default?: unknown;
  items?: Prop;
}

export function moduleDoc(name: string): string | undefined {
  const mod = moduleMeta(name);
  if (!mod) return undefined;
  const schema = mod.schema as { properties?: Record<string, Prop>; required?: string[] };
  const required = new Set(schema.required ?? []);
  const lines = [`${mod.name} — ${mod.doc}`];
  if (mod.aliases.length) lines.push(`also: ${mod.aliases.join(', ')}`);
  if (mod.freeForm) lines.push(`free form: "${mod.name}: TEXT" sets ${mod.freeForm}`);
  lines.push('', 'parameters:');
  for (const [k, p] of Object.entries(schema.properties ?? {})) {
    if (k.startsWith('_')) continue;
    const type = p.enum ? p.enum.map(String).join('|') : Array.isArray(p.type) ? p.type.join('|') : p.type === 'array' && p.items?.type ? `list of ${p.items.type}` : (p.type ?? 'any');
    const flags = [required.has(k) ? 'required' : '', p.default !== undefined ? `default ${JSON.stringify(p.default)}` : ''].filter(Boolean).join(', ');
    lines.push(`  ${k} (${type}${flags ? '; ' + flags : ''})`);
    if (p.description) lines.push(`      ${p.description}`);
  }
  return lines.join('\n');
}

export function docOrHint(name: string): { text: string; ok: boolean } {
  const d = moduleDoc(name);
  if (d) return { text: d, ok: true };
  return { text: `no module named '${name}'. ${didYouMean(name, moduleNames())}`.trim(), ok: false };
}
