/**
 * --explain helpers (pure): kvplay's commands shown as plain shell a student could type, with the
 * internal framing (fact-script sections, temp files, stdin payloads, base64) shown as what it
 * means. They DESCRIBE the commands kvplay runs; they never build one that runs.
 */
import { q } from '../../util/quote.js';
import type { ExplainCheck } from './types.js';
import type { FileState, StatInfo } from '../../modules/lib/fileops.js';
import { fmtMode } from '../../util/mode.js';

/** Longest text written out in full as a here-document. */
const HEREDOC_MAX_LINES = 40;
const HEREDOC_MAX_BYTES = 4096;
/** Longest (plain) fact script shown in full. */
const SCRIPT_MAX_LINES = 8;

const bytes = (b: Buffer | string) => (typeof b === 'string' ? Buffer.byteLength(b) : b.length);

/** `<content of 42 bytes, 3 lines>`: a payload that is not shown. */
export function contentNote(data: Buffer | string): string {
  const b = typeof data === 'string' ? Buffer.from(data) : data;
  // a large payload is not decoded only to count its lines
  const text = b.length <= 1 << 20 && isText(b) ? b.toString('utf8') : undefined;
  if (text === undefined && b.length > 1 << 20) return `<content of ${b.length} bytes>`;
  const n = text === undefined ? 0 : lineCount(text);
  return `<${text === undefined ? 'binary ' : ''}content of ${b.length} byte${b.length === 1 ? '' : 's'}${text !== undefined ? `, ${n} line${n === 1 ? '' : 's'}` : ''}>`;
}

export function lineCount(text: string): number {
  if (text === '') return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

function isText(b: Buffer): boolean {
  return !b.includes(0) && Buffer.from(b.toString('utf8'), 'utf8').equals(b);
}

/** A here-document delimiter that no line of `text` equals. */
function delimiter(text: string): string {
  const lines = new Set(text.split('\n'));
  let d = 'EOF';
  for (let i = 1; lines.has(d); i++) d = `EOF${i}`;
  return d;
}

/**
 * `cat > PATH` with the content: a here-document when it is short text ending in a newline,
 * `printf '%s' '...' > PATH` for a short text without one, else `cat > PATH` with a note.
 * `redirect` is the target as written after `>` (already quoted).
 */
export function catInto(redirect: string, content: Buffer | string): string {
  const b = typeof content === 'string' ? Buffer.from(content) : content;
  const text = b.length <= HEREDOC_MAX_BYTES && isText(b) ? b.toString('utf8') : undefined;
  const small = text !== undefined && lineCount(text) <= HEREDOC_MAX_LINES;
  if (small && text === '') return `: > ${redirect}`;
  if (small && text!.endsWith('\n')) {
    const d = delimiter(text!);
    return `cat > ${redirect} <<'${d}'\n${text}${d}`;
  }
  if (small && !text!.includes('\n')) return `printf '%s' ${q(text!)} > ${redirect}`;
  return `cat > ${redirect}   # stdin: ${contentNote(b)}`;
}

export interface WriteExplainOpts {
  path: string;
  content: Buffer | string;
  /** permission bits the file gets */
  mode: number;
  owner?: string | number;
  group?: string | number;
  validate?: string;
  /** an existing file is copied aside first */
  backup: boolean;
}

/**
 * An atomic file write (temp file, mode, rename) as what it means:
 *   cp -p /etc/exports /etc/exports.$(date +%Y%m%dT%H%M%S).kvplay~
 *   cat > /etc/exports <<'EOF'
 *   ...
 *   EOF
 *   chmod 0644 /etc/exports
 */
export function writeExplain(o: WriteExplainOpts): string {
  const p = q(o.path);
  const out: string[] = [];
  if (o.validate) out.push(`# the new content is checked first, in a temp file: ${o.validate.replace(/%s/g, 'TEMPFILE')}`);
  if (o.backup) out.push(`cp -p ${p} ${p}.$(date +%Y%m%dT%H%M%S).kvplay~`);
  out.push(catInto(p, o.content), `chmod ${fmtMode(o.mode)} ${p}`);
  if (o.owner !== undefined || o.group !== undefined) out.push(`chown ${q(`${o.owner ?? ''}${o.group !== undefined ? `:${o.group}` : ''}`)} ${p}`);
  return out.join('\n');
}

/** `0644 root:root` */
export function attrsOf(s: StatInfo): string {
  return `${fmtMode(s.mode)} ${s.owner}:${s.group}`;
}

/** What a file fact found, in a few words: "missing", "file 0644 root:root, 42 bytes", "directory 0755 root:root". */
export function fileFound(st: FileState, o: { lines?: boolean; algo?: string } = {}): string {
  if (!st.exists) return st.parentDir ? 'missing' : 'missing (its directory too)';
  const link = st.l?.type === 'link' ? `symlink to ${st.linkTarget ?? '?'}${st.f ? '' : ' (broken)'}${st.f ? ', then ' : ''}` : '';
  const f = st.f;
  if (!f) return link || 'present';
  if (f.type !== 'file') return `${link}${f.type} ${attrsOf(f)}`;
  const parts = [`${f.size} byte${f.size === 1 ? '' : 's'}`];
  if (o.lines && st.content && isText(st.content)) {
    const n = lineCount(st.content.toString('utf8'));
    parts.unshift(`${n} line${n === 1 ? '' : 's'}`);
  }
  if (st.checksum) parts.push(`${o.algo ?? 'checksum'} ${st.checksum.slice(0, 12)}…`);
  return `${link}file ${attrsOf(f)}, ${parts.join(', ')}`;
}

/** The check of a file fact: `ls -ld PATH` (and `cat PATH` when the content was read). */
export function fileCheck(st: FileState, readContent: boolean, algo?: string): ExplainCheck {
  const p = q(st.path);
  return { cmd: readContent ? `ls -ld ${p}; cat ${p}` : `ls -ld ${p}`, found: fileFound(st, { lines: readContent, algo }) };
}

/** Lines of a shell script that are framing only (locale, error mode, exit, traps, section end markers). */
const FRAMING_LINE = [
  /^LC_ALL=C; export LC_ALL$/,
  /^set -e$/,
  /^exit 0$/,
  /^trap .* EXIT$/,
  /^printf '\\n@@kvplay-section(-rc)? [^\n]*$/,
];

/**
 * Generic fallback: a command with its framing stripped. Fact-script section markers
 * (src/facts/sections.ts) go, `( CMD\n) 2>&1 </dev/null` (and `{ CMD\n}`) wrappers become CMD, long base64
 * words become `<base64 content of N bytes>`, here-document bodies `<content of N bytes>`.
 * A script still longer than `maxLines` is cut, with a note.
 */
export function plainShell(cmd: string, maxLines = Infinity): string {
  let s = cmd.replace(/^[({] ([\s\S]*?)\n(?:[)}](?: 2>&1)? <\/dev\/null|\} >\/dev\/null)$/gm, '$1');
  // here-documents: <<'X' ... X (the body is a payload)
  s = s.replace(/<<-?\s*'?([A-Za-z_][A-Za-z0-9_]*)'?\n([\s\S]*?)\n\1$/gm, (_m, d: string, body: string) => `<<'${d}'  # ${contentNote(body + '\n')}`);
  const lines = s
    .split('\n')
    .filter((l) => l.trim() !== '' && !FRAMING_LINE.some((re) => re.test(l.trim())));
  s = lines.length <= maxLines ? lines.join('\n') : [...lines.slice(0, maxLines), `# ... (${lines.length - maxLines} more lines of the script)`].join('\n');
  // kvplay's own base64 framing of a file's content: the content, as a here-document (after the
  // framing lines went: the content is shown whole)
  s = s.replace(/printf %s '?([A-Za-z0-9+/]*={0,2})'? \| base64 -d > (\S+)/g, (_m, b64: string, target: string) => catInto(target, Buffer.from(b64, 'base64')));
  // only payload-sized words: a key blob or a hash in a command is part of the command
  return s.replace(/'?\b[A-Za-z0-9+/]{200,}={0,2}'?/g, (w) => {
    const core = w.replace(/^'|'$/g, '');
    return /[0-9+/]/.test(core) && /[a-z]/.test(core) && /[A-Z]/.test(core) ? `<base64 content of ${Math.floor((core.length * 3) / 4)} bytes>` : w;
  });
}

/** plainShell for a fact script (cut after a few lines). */
export function plainFactShell(cmd: string): string {
  return plainShell(cmd, SCRIPT_MAX_LINES);
}

/** A step's command with its stdin shown as what it is, for steps without their own explain. */
export function plainStep(cmd: string, stdin?: string | Buffer): string {
  return withStdinNote(plainShell(cmd), stdin);
}

/** `text   # stdin: <content of N bytes, M lines>` when there is stdin. */
export function withStdinNote(text: string, stdin?: string | Buffer): string {
  return stdin !== undefined && bytes(stdin) > 0 ? `${text}   # stdin: ${contentNote(stdin)}` : text;
}

/** A short summary of any parsed fact value (the generic "found"). */
export function summarize(v: unknown, max = 160): string {
  let s: string;
  if (v === undefined) s = 'nothing';
  else if (typeof v === 'boolean') s = v ? 'yes' : 'no';
  else if (typeof v === 'string') s = v === '' ? '(empty)' : v;
  else if (Buffer.isBuffer(v)) s = contentNote(v);
  else {
    try {
      s = JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && (x as { type?: unknown }).type === 'Buffer' && Array.isArray((x as { data?: unknown }).data) ? contentNote(Buffer.from((x as { data: number[] }).data)) : x)) ?? String(v);
    } catch {
      s = String(v);
    }
  }
  s = s.replace(/\s*\n\s*/g, ' ');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** yes/no */
export const yn = (b: boolean | undefined): string => (b === undefined ? 'unknown' : b ? 'yes' : 'no');
