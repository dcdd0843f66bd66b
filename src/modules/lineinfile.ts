/** lineinfile: ensure one line is present (or lines absent) in a text file. Ansible semantics. */
import type { Module } from '../engine/module/types.js';
import { editFacts, planEdit, readLines, stripEol, type EditFacts, type EditOutcome } from './lib/edit.js';
import { backupFileFrom } from './lib/fileops.js';
import { expandMatch, paramRegex } from '../util/pyre.js';
import { attrProps, backupProp, bool, exclusive, object, str, strEnum, validateProp, type Static } from '../engine/module/schema.js';

export type LineinfileParams = Static<typeof schema>;

/** Pure: the new text for `old` (null: file missing, treated as empty). */
export function lineinfileEdit(p: LineinfileParams, old: string | null): EditOutcome {
  if ((p.state ?? 'present') === 'absent') return absent(p, old);
  return present(p, old ?? '');
}

function absent(p: LineinfileParams, old: string | null): EditOutcome {
  if (old === null) return { text: null, msg: 'file not present' };
  const lines = readLines(old);
  const re = p.regexp !== undefined ? paramRegex(p.regexp) : null;
  const keep = lines.filter((l) => {
    const s = stripEol(l);
    if (re) return !re.test(s);
    if (p.search_string !== undefined) return !s.includes(p.search_string);
    return s !== p.line;
  });
  const n = lines.length - keep.length;
  return { text: keep.join(''), msg: n ? `${n} line(s) removed` : 'line not present', result: { found: n } };
}

function present(p: LineinfileParams, old: string): EditOutcome {
  const lines = readLines(old);
  const line = p.line ?? '';
  const re = p.regexp !== undefined ? paramRegex(p.regexp) : null;
  const ia = p.insertafter;
  const ib = p.insertbefore;
  let ins: RegExp | null = null;
  if (ia !== undefined && ia !== 'BOF' && ia !== 'EOF') ins = paramRegex(ia, 'insertafter');
  else if (ib !== undefined && ib !== 'BOF') ins = paramRegex(ib, 'insertbefore');

  let matchIdx = -1;
  let insIdx = -1;
  let match: RegExpExecArray | null = null;
  let found = false;
  if (re) {
    for (let i = 0; i < lines.length; i++) {
      const m = re.exec(stripEol(lines[i]));
      if (m) { matchIdx = i; match = m; found = true; if (p.firstmatch) break; }
    }
  } else if (p.search_string !== undefined) {
    for (let i = 0; i < lines.length; i++) {
      if (stripEol(lines[i]).includes(p.search_string)) { matchIdx = i; found = true; if (p.firstmatch) break; }
    }
  }
  if (!found) {
    for (let i = 0; i < lines.length; i++) {
      const s = stripEol(lines[i]);
      if (s === line) matchIdx = i;
      else if (ins && ins.test(s)) {
        if (ia !== undefined) { insIdx = i + 1; if (p.firstmatch) break; }
        else if (ib !== undefined) { insIdx = i; if (p.firstmatch) break; }
      }
    }
  }
  const nl = '\n';
  if (matchIdx !== -1) {
    let newLine = p.backrefs && match ? expandMatch(line, match) : line;
    if (!newLine.endsWith(nl)) newLine += nl;
    if (lines[matchIdx] !== newLine) {
      // keep the file's last-line situation: only the replaced line changes
      lines[matchIdx] = newLine;
      return { text: lines.join(''), msg: 'line replaced' };
    }
    return { text: old, msg: 'line present' };
  }
  if (p.backrefs) return { text: old, msg: 'regexp did not match (backrefs: nothing to do)' };
  if (ib === 'BOF' || ia === 'BOF') {
    lines.unshift(line + nl);
    return { text: lines.join(''), msg: 'line added' };
  }
  if (ia === 'EOF' || insIdx === -1) {
    if (lines.length && !/[\r\n]$/.test(lines[lines.length - 1])) lines.push(nl);
    lines.push(line + nl);
    return { text: lines.join(''), msg: 'line added' };
  }
  if (ia !== undefined) {
    if (insIdx === lines.length) {
      if (stripEol(lines[insIdx - 1]) !== line) {
        if (!/[\r\n]$/.test(lines[insIdx - 1])) lines[insIdx - 1] += nl;
        lines.push(line + nl);
        return { text: lines.join(''), msg: 'line added' };
      }
      return { text: old, msg: 'line present' };
    }
    if (stripEol(lines[insIdx]) !== line) {
      lines.splice(insIdx, 0, line + nl);
      return { text: lines.join(''), msg: 'line added' };
    }
    return { text: old, msg: 'line present' };
  }
  lines.splice(insIdx, 0, line + nl);
  return { text: lines.join(''), msg: 'line added' };
}

const schema = object(
  {
    path: str('The file to edit (aliases: dest, destfile, name). Symlinks are followed.', { aliases: ['dest', 'destfile', 'name'] }),
    line: str('The line to insert or replace (state present); with backrefs it may use \\1 or \\g<name> from regexp. Required for state present.', { aliases: ['value'] }),
    regexp: str('Python regular expression searched in every line: present replaces the last match (first with firstmatch); absent removes all matches.', { aliases: ['regex'] }),
    search_string: str('Literal string searched in every line, like regexp without regular expression syntax.'),
    state: strEnum(['present', 'absent'], 'present (default) or absent.'),
    insertafter: str("Where to insert when regexp/search_string does not match: after the last line matching this regexp, or EOF (default). Falls back to EOF when nothing matches."),
    insertbefore: str('Where to insert when regexp/search_string does not match: before the last line matching this regexp, or BOF.'),
    backrefs: bool('Expand backreferences of regexp in line; when regexp does not match, the file is left unchanged.', false),
    firstmatch: bool('Use the first line matching insertafter/insertbefore/regexp instead of the last.', false),
    create: bool('Create the file (and its directory) when missing.', false),
    backup: backupProp,
    validate: validateProp,
    ...attrProps,
  },
  {
    required: ['path'],
    allOf: [
      exclusive('regexp', 'search_string'),
      exclusive('insertafter', 'insertbefore'),
      { if: { not: { properties: { state: { const: 'absent' } }, required: ['state'] } }, then: { required: ['line'] } },
      { if: { properties: { backrefs: { const: true } }, required: ['backrefs'] }, then: { required: ['regexp'] } },
    ],
  },
);

export const lineinfile: Module<LineinfileParams, EditFacts> = {
  name: 'lineinfile',
  reasonIsMsg: false,
  doc: 'Ensure a line is in a text file (replacing the line a regexp matches), or that matching lines are absent.',
  schema,
  facts: (p) => editFacts(p),
  plan: (p, facts, ctx) => {
    if (p.state === 'absent' && p.regexp === undefined && p.search_string === undefined && p.line === undefined) {
      throw new Error('state absent needs line, regexp or search_string');
    }
    return planEdit(p, facts, (old) => lineinfileEdit(p, old), ctx, { missing: `Destination ${p.path} does not exist !` });
  },
  // as Ansible's lineinfile: `backup` is the backup's name or '' (none when the file to edit is missing); its warning
  result: (p, f, results) => ({
    ...(p.state === 'absent' && !f.file.exists ? {} : { backup: backupFileFrom(results) ?? '' }),
    ...(p.regexp === '' || p.search_string === '' ? { warnings: [emptyPatternWarning(p)] } : {}),
  }),
};

/** Ansible's warning for an empty regexp or search_string. */
function emptyPatternWarning(p: LineinfileParams): string {
  const re = p.regexp === '';
  return `The ${re ? 'regular expression' : 'search string'} is an empty string, which will match every line in the file. This may have unintended consequences, such as replacing the last line in the file rather than appending.${re ? " If this is desired, use '^' to match every line in the file and avoid this warning." : ''}`;
}
