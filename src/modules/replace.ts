/**
 * replace: Ansible's replace module: every match of a Python regular expression (MULTILINE) in a
 * file, or in the section after/before given patterns (DOTALL), is replaced (re.subn). A pure text
 * edit planned by planEdit (src/modules/lib/edit.ts); patterns through the ONE Python regex
 * translator (src/util/pyre.ts).
 */
import type { Module } from '../engine/module/types.js';
import { editFacts, editResult, planEdit, type EditFacts, type EditOutcome } from './lib/edit.js';
import { paramRegex, pySub, finditer } from '../util/pyre.js';
import { attrProps, backupProp, object, str, validateProp, type Static } from '../engine/module/schema.js';

export type ReplaceParams = Static<typeof schema>;

/** Pure: the new text, as Ansible's replace computes it (msg '' when nothing changes). */
export function replaceEdit(p: ReplaceParams, contents: string): EditOutcome {
  let pattern = '';
  if (p.after && p.before) pattern = `${p.after}(?P<subsection>.*?)${p.before}`;
  else if (p.after) pattern = `${p.after}(?P<subsection>.*)`;
  else if (p.before) pattern = `(?P<subsection>.*)${p.before}`;
  let section = contents;
  let start = 0;
  let end = contents.length;
  if (pattern) {
    const m = paramRegex(pattern, 'after/before', 'sd').exec(contents);
    if (!m) return { text: contents, msg: `Pattern for before/after params did not match the given file: ${pattern}` };
    const [s, e] = m.indices!.groups!.subsection!;
    section = m.groups!.subsection ?? '';
    start = s;
    end = e;
  }
  const re = paramRegex(p.regexp, 'regexp', 'm');
  let n = 0;
  for (const _ of finditer(re, section)) n++;
  const replaced = n ? pySub(re, p.replace ?? '', section) : section;
  if (n > 0 && replaced !== section) return { text: contents.slice(0, start) + replaced + contents.slice(end), msg: `${n} replacements made` };
  return { text: contents, msg: '' };
}

const schema = object(
  {
    path: str('The file (aliases dest, destfile, name); symlinks are followed. It must exist.', { aliases: ['dest', 'destfile', 'name'] }),
    regexp: str('Python regular expression, MULTILINE (^ and $ match at each line); every match is replaced.'),
    replace: str('The replacement; may use \\1, \\g<1>, \\g<name>. Default: empty (matches are removed).'),
    after: str('Only replace after the first match of this pattern (DOTALL).'),
    before: str('Only replace before the last match of this pattern (DOTALL; with after: before its first match after it).'),
    encoding: str("The file's encoding: only utf-8 (the default) is supported."),
    backup: backupProp,
    validate: validateProp,
    ...attrProps,
  },
  { required: ['path', 'regexp'] },
);

export const replace: Module<ReplaceParams, EditFacts> = {
  name: 'replace',
  reasonIsMsg: false,
  doc: 'Replace every match of a Python regular expression in a file (or in the part after/before given patterns), as Ansible\'s replace.',
  schema,
  facts: (p) => editFacts(p),
  plan: (p, facts, ctx) => {
    if (p.encoding !== undefined && !/^utf-?8$/i.test(p.encoding)) throw new Error(`encoding ${p.encoding}: only utf-8 is supported by kvplay`);
    const st = facts.file;
    if (st.exists && st.f?.type === 'directory') throw new Error(`Path ${p.path} is a directory !`);
    if (!st.exists) throw new Error(`Path ${p.path} does not exist !`);
    let msg = '';
    const plan = planEdit(p, facts, (old) => {
      const out = replaceEdit(p, old ?? '');
      msg = out.msg;
      return out;
    }, ctx);
    // the before/after message of an unchanged file is Ansible's msg too
    return { ...plan, result: { ...(plan.result ?? {}), ...(plan.kind === 'ok' && msg ? { msg } : {}), rc: 0 } };
  },
  result: (_p, _f, results) => editResult(results),
};
