/** blockinfile: a marked block of lines in a text file (insert, replace, remove). Ansible semantics and markers. */
import type { Module } from '../engine/module/types.js';
import { editFacts, planEdit, splitLinesKeep, stripEol, type EditFacts, type EditOutcome } from './lib/edit.js';
import { backupFileFrom } from './lib/fileops.js';
import { ModuleFailure } from '../util/errors.js';
import { paramRegex } from '../util/pyre.js';
import { attrProps, backupProp, bool, exclusive, object, str, strEnum, validateProp, type Static } from '../engine/module/schema.js';

export type BlockinfileParams = Static<typeof schema>;

export const DEFAULT_MARKER = '# {mark} ANSIBLE MANAGED BLOCK';

/** Pure: the new text for `old` (null: file missing). */
export function blockinfileEdit(p: BlockinfileParams, old: string | null): EditOutcome {
  const nl = '\n';
  const marker = p.marker ?? DEFAULT_MARKER;
  const m0 = marker.replace(/\{mark\}/g, p.marker_begin ?? 'BEGIN');
  const m1 = marker.replace(/\{mark\}/g, p.marker_end ?? 'END');
  const block = p.block ?? '';
  const present = (p.state ?? 'present') === 'present';
  if (old === null && !present) return { text: null, msg: `File ${p.path} not present` };
  const lines = splitLinesKeep(old ?? '');
  let blockLines: string[] = [];
  if (present && block !== '') {
    blockLines = [m0 + nl, ...block.replace(/\n$/, '').split('\n').map((l) => l + nl), m1 + nl];
  }
  let n0: number | null = null;
  let n1: number | null = null;
  lines.forEach((l, i) => {
    const s = stripEol(l);
    if (s === m0) n0 = i;
    if (s === m1) n1 = i;
  });
  const hadBlock = n0 !== null && n1 !== null;
  let at: number;
  if (n0 === null || n1 === null) {
    if (!blockLines.length) return { text: old, msg: 'block not present' };
    const ia = p.insertafter;
    const ib = p.insertbefore;
    if (ib === 'BOF' || ia === 'BOF') at = 0;
    else if (ib !== undefined || (ia !== undefined && ia !== 'EOF')) {
      const re = paramRegex((ib ?? ia)!, ib !== undefined ? 'insertbefore' : 'insertafter');
      let found: number | null = null;
      lines.forEach((l, i) => { if (re.test(stripEol(l))) found = i; });
      if (found === null) at = lines.length;
      else at = ib !== undefined ? found : (found as number) + 1;
    } else at = lines.length;
  } else if (n0 < n1) {
    lines.splice(n0, n1 - n0 + 1);
    at = n0;
  } else {
    lines.splice(n1, n0 - n1 + 1);
    at = n1;
  }
  if (blockLines.length) {
    if (p.prepend_newline && at > 0 && stripEol(lines[at - 1]) !== '') blockLines.unshift(nl);
    if (p.append_newline && at < lines.length && stripEol(lines[at]) !== '') blockLines.push(nl);
  }
  if (at > 0 && !/[\r\n]$/.test(lines[at - 1])) lines[at - 1] += nl;
  lines.splice(at, 0, ...blockLines);
  const text = lines.join('');
  if (text === (old ?? '') && old !== null) return { text: old, msg: hadBlock ? 'block unchanged' : 'block not present' };
  // Ansible's words (registered); kvplay shows what happened
  const reason = !blockLines.length ? 'block removed' : hadBlock ? 'block replaced' : 'block inserted';
  return { text, msg: old === null ? 'File created' : !blockLines.length ? 'Block removed' : 'Block inserted', reason };
}

const schema = object(
  {
    path: str('The file to edit (aliases: dest, destfile, name). Symlinks are followed.', { aliases: ['dest', 'destfile', 'name'] }),
    block: str('The text between the markers (alias: content). Empty removes the block.', { aliases: ['content'] }),
    marker: str("Marker line template; {mark} becomes marker_begin / marker_end. Default '# {mark} ANSIBLE MANAGED BLOCK' (compatible with Ansible-managed files). Use a distinct marker per block in one file."),
    marker_begin: str("Replaces {mark} in the first marker. Default 'BEGIN'."),
    marker_end: str("Replaces {mark} in the last marker. Default 'END'."),
    state: strEnum(['present', 'absent'], 'present (default) or absent.'),
    insertafter: str('For a new block: after the last line matching this regexp, or EOF (default).'),
    insertbefore: str('For a new block: before the last line matching this regexp, or BOF.'),
    append_newline: bool('Add an empty line after the block when the next line is not empty.', false),
    prepend_newline: bool('Add an empty line before the block when the previous line is not empty.', false),
    create: bool('Create the file (and its directory) when missing.', false),
    backup: backupProp,
    validate: validateProp,
    ...attrProps,
  },
  {
    required: ['path'],
    allOf: [exclusive('insertafter', 'insertbefore')],
  },
);

export const blockinfile: Module<BlockinfileParams, EditFacts> = {
  name: 'blockinfile',
  reasonIsMsg: false,
  doc: 'Insert, replace or remove a block of lines between marker lines in a text file.',
  schema,
  facts: (p) => editFacts(p),
  plan: (p, facts, ctx) => {
    const missing = `Path ${p.path} does not exist !`;
    // as Ansible: a missing file without create fails, even to remove a block (in check mode an earlier task may create it)
    if (!facts.file.exists && !p.create && !ctx.check) throw new ModuleFailure(`${p.path} does not exist (use create: true to create it)`, { rc: 257, msg: missing });
    return planEdit(p, facts, (old) => blockinfileEdit(p, old), ctx, { missing });
  },
  // as Ansible's blockinfile: backup_file only when a backup was made
  result: (_p, _f, results) => {
    const b = backupFileFrom(results);
    return b ? { backup_file: b } : {};
  },
};
