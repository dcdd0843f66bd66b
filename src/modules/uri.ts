/**
 * uri: Ansible's uri module: an HTTP request made from the host (curl there, src/modules/http.ts),
 * with Ansible's result: status, msg, url, redirected, elapsed, the response headers as keys
 * (lowercased, - as _), cookies, content (return_content), json (a JSON response), path (dest).
 * A status not in status_code fails with Ansible's message. Only dest changes anything.
 */
import { q } from '../util/quote.js';
import type { ActionResult, Module } from '../engine/module/types.js';
import { any, bool, int, object, str, strEnum, type Static, typed } from '../engine/module/schema.js';
import { fetchInfo, httpRequest } from './http.js';
import { pyJson } from '../template/py.js';

export type UriParams = Static<typeof schema>;

/** Python's urlencode (quote_plus) of a mapping or a list of pairs. */
export function formUrlencoded(body: unknown): string {
  const pairs: [string, unknown][] = Array.isArray(body) ? (body as [string, unknown][]) : Object.entries(body as Record<string, unknown>);
  const enc = (s: unknown) => encodeURIComponent(String(s)).replace(/%20/g, '+').replace(/[!'()*~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()).replace(/%7E/g, '~');
  return pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
}

/** The request body and its Content-Type as Ansible's uri builds them. */
export function uriBody(p: UriParams, headers: Record<string, string>): Buffer | undefined {
  if (p.body === undefined || p.body === null) return undefined;
  const has = (h: string) => Object.keys(headers).some((k) => k.toLowerCase() === h);
  const fmt = p.body_format ?? 'raw';
  if (fmt === 'json') {
    if (!has('content-type')) headers['Content-Type'] = 'application/json';
    return Buffer.from(typeof p.body === 'string' ? p.body : pyJson(p.body, null, false));
  }
  if (fmt === 'form-urlencoded') {
    if (!has('content-type')) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    return Buffer.from(typeof p.body === 'string' ? p.body : formUrlencoded(p.body));
  }
  return Buffer.from(typeof p.body === 'string' ? p.body : String(p.body));
}

const statusList = (s: UriParams['status_code']): number[] => (s === undefined ? [200] : (Array.isArray(s) ? s : String(s).split(',')).map((x) => Number(x)));

const schema = object(
  {
    url: str('The URL (http, https).'),
    method: str('GET (default), POST, PUT, DELETE, HEAD, PATCH, ... (one upper-case word).'),
    body: any('The request body: a string, or data for body_format json / form-urlencoded.'),
    body_format: strEnum(['raw', 'json', 'form-urlencoded'], 'raw (default), json (the body is JSON-encoded), form-urlencoded.'),
    headers: typed<Record<string, unknown>>({ type: 'object', description: 'Request headers.' }),
    status_code: typed<number[] | number | string>({ type: ['array', 'integer', 'string'], items: { type: 'integer' }, description: 'The accepted status codes (default [200]).' }),
    return_content: bool('Register the body as content (JSON responses also as json).', false),
    dest: str('Write the body to this file on the host (changed).'),
    creates: str('Skip the request when this host path exists.'),
    removes: str('Skip the request unless this host path exists.'),
    timeout: int('Seconds (default 30).', { minimum: 1 }),
    follow_redirects: strEnum(['all', 'no', 'none', 'safe', 'urllib2', 'yes'], 'safe (default): redirects of GET/HEAD; all/yes: every one; none/no: none.'),
    validate_certs: bool('Check the server certificate (default true).'),
    url_username: str('User for HTTP basic auth (alias user).', { aliases: ['user'] }),
    url_password: str('Password for HTTP basic auth (alias password); never on a command line.', { aliases: ['password'] }),
    force_basic_auth: bool('Send the credentials without waiting for a 401 (curl always does).'),
  },
  { required: ['url'] },
);

export const uri: Module<UriParams> = {
  name: 'uri',
  doc: "Ansible's uri: an HTTP(S) request from the host (curl there); registers status, headers, content/json; fails unless the status is in status_code.",
  schema,
  async action(p, ctx): Promise<ActionResult> {
    // Ansible's uri module does not support check mode: the task is skipped
    if (ctx.check) return { changed: false, skipped: true, msg: 'remote module (uri) does not support check mode' };
    const method = (p.method ?? 'GET').toUpperCase();
    if (!/^[A-Z]+$/.test(method)) return { changed: false, failed: true, msg: "Parameter 'method' needs to be a single word in uppercase, like GET or POST." };
    const statuses = statusList(p.status_code);
    for (const [path, want, says] of [[p.creates, true, 'exists'], [p.removes, false, 'does not exist']] as const) {
      if (path === undefined) continue;
      const r = await ctx.transport.exec(`[ -e ${q(path)} ]`, { become: ctx.become });
      if ((r.code === 0) === want) return { changed: false, data: { stdout: `skipped, since '${path}' ${says}` } };
    }
    const headers: Record<string, string> = Object.fromEntries(Object.entries(p.headers ?? {}).map(([k, v]) => [k, String(v)]));
    const body = uriBody(p, headers);
    const follow = p.follow_redirects ?? 'safe';
    const a = await httpRequest(ctx.transport, ctx.become, {
      url: p.url,
      method,
      headers,
      body,
      user: p.url_username,
      password: p.url_password,
      timeout: p.timeout ?? 30,
      validateCerts: p.validate_certs ?? true,
      follow: follow === 'all' || follow === 'yes' || ((follow === 'safe' || follow === 'urllib2') && (method === 'GET' || method === 'HEAD')),
    });
    const info = fetchInfo(a, p.url);
    const data: Record<string, unknown> = Object.create(null);
    data.redirected = info.url !== p.url;
    for (const [k, v] of Object.entries(info)) data[k.replace(/-/g, '_').toLowerCase()] = v;
    data.elapsed = a.elapsed;
    data.changed = false;
    let changed = false;
    if (p.dest !== undefined && a.status > 0 && statuses.includes(a.status) && a.status !== 304) {
      const w = await ctx.transport.exec(`cat > ${q(p.dest)}`, { stdin: a.body, become: ctx.become });
      if (w.code !== 0) return { changed: false, failed: true, msg: `failed to write ${p.dest}: ${w.stderr.trim()}` };
      changed = true;
      data.path = p.dest;
    }
    const ctype = String(data.content_type ?? '');
    const sub = /^[^/;]+\/([^;]+)/.exec(ctype)?.[1]?.trim().toLowerCase() ?? '';
    const maybeJson = ['json', 'javascript'].includes(sub.includes('+') ? sub.split('+')[1] : sub);
    const text = a.body.toString('utf8');
    if (maybeJson) {
      try {
        data.json = JSON.parse(text);
      } catch {
        /* not JSON after all: no json key (Ansible) */
      }
    }
    const failed = !statuses.includes(Number(data.status));
    if (p.return_content || (failed && a.body.length)) {
      if (p.return_content) data.content = text;
    }
    data.changed = changed;
    if (failed) {
      const msg = `Status code was ${data.status} and not [${statuses.join(', ')}]: ${data.msg ?? ''}`;
      return { changed, failed: true, msg, data: { ...data, msg } };
    }
    return { changed, data };
  },
};
