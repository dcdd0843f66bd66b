/**
 * HTTP from the managed host, as Ansible's uri and get_url do it there: curl on the host, every
 * request option in a curl config file written from stdin (headers and credentials never on a
 * command line), the response's status line, headers and body coming back base64-encoded (host
 * data: never parsed as anything but data). The pure parts turn curl's answer into Ansible's
 * `info` (status, msg, url, lowercased headers with - as _, cookies).
 */
import type { Transport, Become } from '../transport/types.js';
import { okOut, parseSections, PROBES, sectionScript } from '../facts/sections.js';
import { q } from '../util/quote.js';

export interface HttpRequest {
  url: string;
  method: string;
  headers?: Record<string, string>;
  body?: Buffer;
  user?: string;
  password?: string;
  timeout: number;
  validateCerts: boolean;
  follow: boolean;
  /** conditional GET: If-Modified-Since the mtime of this host file */
  ifModifiedSince?: string;
  /** keep the body in this host file instead of returning it */
  saveTo?: string;
}

export interface HttpAnswer {
  /** curl's exit code (0: a response came) */
  rc: number;
  error: string;
  status: number;
  reason: string;
  /** the URL of the last response (after redirects) */
  url: string;
  headers: [string, string][];
  body: Buffer;
  elapsed: number;
}

/** A value in curl's config syntax ("..." with \\ \" \t \n \r escapes). */
const cfgStr = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;

export function curlConfig(r: HttpRequest): string {
  const lines = [`url = ${cfgStr(r.url)}`, `request = ${cfgStr(r.method)}`, `max-time = ${r.timeout}`, 'http1.1', 'globoff', 'silent', 'show-error'];
  if (r.method === 'HEAD') lines.push('head');
  if (r.follow) lines.push('location', 'max-redirs = 10');
  if (!r.validateCerts) lines.push('insecure');
  for (const [k, v] of Object.entries(r.headers ?? {})) lines.push(`header = ${cfgStr(`${k}: ${v}`)}`);
  if (r.user !== undefined) lines.push(`user = ${cfgStr(`${r.user}:${r.password ?? ''}`)}`);
  return lines.join('\n') + '\n';
}

/**
 * The host script: stdin is the base64 config line, then the body (read by the prelude, which also
 * runs curl). Sections: curl (rc 0: installed), rc, time, w (curl's -w text), err (its stderr),
 * head and body (base64: bytes, not text).
 */
export function curlScript(r: HttpRequest): string {
  return sectionScript([
    ['curl', '[ $c = yes ]'],
    ['rc', 'echo "$rc"'],
    ['time', 'echo "$((e - s))"'],
    ['w', 'printf \'%s\\n\' "$w"'],
    ['err', '[ -f "$t/e" ] && cat "$t/e"'],
    ['head', '[ -f "$t/h" ] && base64 -w0 < "$t/h"'],
    ['body', r.saveTo !== undefined ? 'false' : '[ -f "$t/b" ] && base64 -w0 < "$t/b"'],
  ], {
    ...PROBES,
    prelude: [
      'c=no; rc=0; s=0; e=0; w=; t=',
      'if command -v curl >/dev/null 2>&1; then',
      'c=yes',
      't=$(mktemp -d) || exit 1; trap \'rm -rf "$t"\' EXIT',
      'IFS= read -r cf; printf \'%s\' "$cf" | base64 -d > "$t/cfg"; cat > "$t/in"',
      `set -- -K "$t/cfg" -D "$t/h" -w '%{http_code} %{url_effective}'`,
      r.body !== undefined ? 'set -- "$@" --data-binary @"$t/in"' : ':',
      r.ifModifiedSince !== undefined ? `[ -e ${q(r.ifModifiedSince)} ] && set -- "$@" -z ${q(r.ifModifiedSince)}` : ':',
      `o=${r.saveTo !== undefined ? q(r.saveTo) : '"$t/b"'}`,
      's=$(date +%s); w=$(curl "$@" -o "$o" 2>"$t/e"); rc=$?; e=$(date +%s)',
      'fi',
    ].join('\n'),
  });
}

/** Pure: curl's answer from the script's output. */
export function parseCurl(out: string, url: string): HttpAnswer {
  const s = parseSections(out);
  if (s.curl && s.curl.rc !== 0) throw new Error('curl is not installed on the host: kvplay runs uri/get_url with curl there (install it: apt-get install curl)');
  const field = (k: string) => okOut(s[k]) ?? '';
  const b64 = (k: string) => Buffer.from(field(k), 'base64');
  const w = field('w');
  const sp = w.indexOf(' ');
  const head = b64('head').toString('latin1');
  // the last response's block (redirects and 100 Continue come first)
  const blocks = head.split(/\r?\n\r?\n/).filter((b) => /^HTTP\//.test(b));
  const last = blocks[blocks.length - 1] ?? '';
  const [statusLine = '', ...hl] = last.split(/\r?\n/);
  const sm = /^HTTP\/\S+ (\d{3})(?: (.*))?$/.exec(statusLine);
  const headers: [string, string][] = [];
  for (const l of hl) {
    const i = l.indexOf(':');
    if (i > 0) headers.push([l.slice(0, i).trim(), l.slice(i + 1).trim()]);
  }
  return {
    rc: Number(field('rc')) || 0,
    error: field('err').trim(),
    status: sm ? Number(sm[1]) : Number(w.slice(0, sp)) || -1,
    reason: sm?.[2] ?? '',
    url: sp > 0 ? w.slice(sp + 1) : url,
    headers,
    body: b64('body'),
    elapsed: Number(field('time')) || 0,
  };
}

export async function httpRequest(t: Transport, become: Become | null, r: HttpRequest): Promise<HttpAnswer> {
  const stdin = Buffer.concat([Buffer.from(Buffer.from(curlConfig(r)).toString('base64') + '\n'), r.body ?? Buffer.alloc(0)]);
  const res = await t.exec(curlScript(r), { stdin, become });
  return parseCurl(res.stdout, r.url);
}

/** Python's message for a failed connection (urllib's URLError), from curl's exit code. */
function urlError(a: HttpAnswer): string {
  const why: Record<number, string> = { 6: '[Errno -2] Name or service not known', 7: '[Errno 111] Connection refused', 28: 'timed out', 35: 'SSL error', 60: '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed' };
  return `Request failed: <urlopen error ${why[a.rc] ?? a.error}>`;
}

/** Ansible's fetch_url info: status, msg, url, the headers (lowercased; uri also turns - into _), cookies. */
export function fetchInfo(a: HttpAnswer, requested: string): Record<string, unknown> {
  const info: Record<string, unknown> = Object.create(null);
  info.url = requested;
  if (a.rc !== 0 && a.status <= 0) {
    info.status = -1;
    info.msg = urlError(a);
    return info;
  }
  for (const [k, v] of a.headers) info[k.toLowerCase()] = v;
  if (a.status >= 200 && a.status < 300) {
    const cookies: Record<string, string> = Object.create(null);
    for (const [k, v] of a.headers) {
      if (k.toLowerCase() !== 'set-cookie') continue;
      const m = /^([^=;]+)=([^;]*)/.exec(v);
      if (m) cookies[m[1].trim()] = m[2];
    }
    info.cookies_string = Object.entries(cookies).map(([k, v]) => `${k}=${v}`).join('; ');
    info.cookies = cookies;
    const len = a.headers.find(([k]) => k.toLowerCase() === 'content-length')?.[1];
    info.msg = `OK (${len ?? 'unknown'} bytes)`;
    info.url = a.url;
  } else {
    info.msg = `HTTP Error ${a.status}: ${a.reason}`;
  }
  info.status = a.status;
  return info;
}
