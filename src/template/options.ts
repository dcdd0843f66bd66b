/**
 * Jinja2 environment options as Ansible uses them, and what Ansible does around Jinja2 with line
 * ends (lib/ansible/template/__init__.py do_template, plugins/action/template.py):
 *  - Jinja2 reads the source with any line end ("\r\n", "\r", "\n") as "\n", and drops ONE trailing
 *    newline unless keep_trailing_newline (jinjaSource);
 *  - Ansible then appends newline_sequence until the output ends with as many "\n" as the source did
 *    (restoreNewlines; the count stops at the first character that is not "\n", so "\r\n" counts 1);
 *  - a template file may start with a `#jinja2: key: value, ...` line that sets options for it and
 *    is not part of the output (readHeader).
 */
import { InputError, type Loc } from '../util/errors.js';
import { didYouMean } from '../util/suggest.js';
import { ANSIBLE_LEX, type Delimiters, type LexOptions } from './parser-lex.js';
import { parseTemplate } from './parser.js';

export interface TemplateOptions extends LexOptions {
  keepTrailingNewline: boolean;
}

/** Ansible's defaults (trim_blocks on, lstrip_blocks and keep_trailing_newline off, "\n"). */
export const ANSIBLE_OPTIONS: TemplateOptions = Object.freeze({ ...ANSIBLE_LEX, keepTrailingNewline: false });

export const NEWLINES = ['\n', '\r', '\r\n'];

/** The source as Jinja2's lexer reads it: "\n" line ends, one trailing newline dropped unless `keep`. */
export function jinjaSource(src: string, keep = false): string {
  if (!src.includes('\r')) return !keep && src.endsWith('\n') ? src.slice(0, -1) : src;
  const lines = src.split(/\r\n|\r|\n/);
  if (!keep && lines[lines.length - 1] === '') lines.pop();
  return lines.join('\n');
}

/** How many "\n" end `s` (Ansible's _count_newlines_from_end). */
export function trailingNewlines(s: string): number {
  let n = 0;
  while (n < s.length && s[s.length - 1 - n] === '\n') n++;
  return n;
}

/** Ansible's preserve_trailing_newlines: the output ends with at least as many newlines as the source. */
export function restoreNewlines(src: string, out: string, newline = '\n'): string {
  const missing = trailingNewlines(src) - trailingNewlines(out);
  return missing > 0 ? out + newline.repeat(missing) : out;
}

const HEADER = '#jinja2:';
const BOOLS: Record<string, 'trimBlocks' | 'lstripBlocks' | 'keepTrailingNewline'> = {
  trim_blocks: 'trimBlocks',
  lstrip_blocks: 'lstripBlocks',
  keep_trailing_newline: 'keepTrailingNewline',
};
const DELIMS: Record<string, keyof Delimiters> = {
  block_start_string: 'blockStart',
  block_end_string: 'blockEnd',
  variable_start_string: 'variableStart',
  variable_end_string: 'variableEnd',
  comment_start_string: 'commentStart',
  comment_end_string: 'commentEnd',
};
export const HEADER_KEYS = [...Object.keys(BOOLS), 'newline_sequence', ...Object.keys(DELIMS)];

const PY_CONSTS: Record<string, unknown> = { True: true, False: false, None: null };
/** Option names come from template files: own keys only (never `constructor`, `toString`...). */
const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** A Python literal (True, 'x', 3) of a header value, through the template parser. */
function literal(text: string, loc: Loc): unknown {
  try {
    const body = parseTemplate(`{{ ${text} }}`);
    const e = body.length === 1 && body[0].k === 'out' ? body[0].e : undefined;
    if (e?.k === 'lit') return e.v;
    if (e?.k === 'name' && own(PY_CONSTS, e.name)) return PY_CONSTS[e.name];
  } catch {
    /* reported below */
  }
  throw new InputError(`#jinja2 header: ${JSON.stringify(text)} is not a Python literal`, loc, "write values as True/False or quoted strings, e.g. #jinja2: trim_blocks: False, variable_start_string: '[['");
}

/** Set one option (from the #jinja2 header or the template module's parameters). */
export function setOption(o: TemplateOptions, key: string, value: unknown, loc: Loc | undefined, where = '#jinja2 header'): void {
  if (own(BOOLS, key)) {
    if (typeof value !== 'boolean' && typeof value !== 'number') throw new InputError(`${where}: ${key} must be True or False, got ${JSON.stringify(value)}`, loc, `e.g. ${key}: False`);
    o[BOOLS[key]] = !!value;
  } else if (key === 'newline_sequence') {
    if (typeof value !== 'string' || !NEWLINES.includes(value)) throw new InputError(`${where}: newline_sequence must be one of "\\n", "\\r", "\\r\\n"`, loc, "e.g. newline_sequence: '\\r\\n'");
    o.newline = value;
  } else if (own(DELIMS, key)) {
    if (typeof value !== 'string' || !value) throw new InputError(`${where}: ${key} must be a non-empty string`, loc, `e.g. ${key}: '[['`);
    o.tags = { ...o.tags, [DELIMS[key]]: value };
  } else {
    throw new InputError(`${where}: option '${key}' is not supported by kvplay`, loc, didYouMean(key, HEADER_KEYS) || `supported: ${HEADER_KEYS.join(', ')}`);
  }
}

/**
 * A `#jinja2:` first line: its options applied over `base`, and the text after it (as Ansible:
 * the line ends at the first "\n"; pairs are split at ',' then at the first ':').
 */
export function readHeader(text: string, base: TemplateOptions, loc: Loc | undefined): { text: string; opts: TemplateOptions; lines: number } {
  if (!text.startsWith(HEADER)) return { text, opts: base, lines: 0 };
  const eol = text.indexOf('\n');
  const line = text.slice(HEADER.length, eol === -1 ? -1 : eol);
  const opts: TemplateOptions = { ...base, ...(base.tags ? { tags: { ...base.tags } } : {}) };
  const at = loc ? { ...loc, col: 1 } : { file: '<template>', line: 1, col: 1 };
  for (const pair of line.split(',')) {
    const i = pair.indexOf(':');
    if (i < 0) throw new InputError(`failed to parse jinja2 override '${pair.trim()}'`, at, 'write "#jinja2: key: value, key: value" (a colon between key and value)');
    setOption(opts, pair.slice(0, i).trim(), literal(pair.slice(i + 1).trim(), at), at);
  }
  return { text: text.slice(eol + 1), opts, lines: eol === -1 ? 0 : 1 };
}
