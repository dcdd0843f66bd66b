/** URL filters: Jinja2's urlencode and urlize, Ansible's urldecode and urlsplit (Python's urllib semantics). */
import { need } from './core.js';
import { isMapping, pyErr, pyStr } from './py.js';
import { escapeHtml } from './filters-text.js';
import { arg, type FilterFn } from './types.js';

const ALWAYS_SAFE = /[A-Za-z0-9_.\-~]/;

/** urllib.parse.quote_from_bytes of the UTF-8 bytes of `s`. */
function quote(s: string, safe: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += b < 128 && (ALWAYS_SAFE.test(c) || safe.includes(c)) ? c : '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** urllib.parse.unquote: %XX sequences as UTF-8 (bad bytes become U+FFFD). */
function unquote(s: string): string {
  return s.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => Buffer.from(run.replace(/%/g, ''), 'hex').toString('utf8'));
}

function urlencode(v: unknown): string {
  need(v);
  const q = (x: unknown, qs: boolean) => {
    const r = quote(pyStr(x), qs ? '' : '/');
    return qs ? r.replace(/%20/g, '+') : r;
  };
  if (typeof v === 'string' || !(Array.isArray(v) || isMapping(v))) return q(v, false);
  const pairs = isMapping(v) ? Object.keys(v).map((k) => [k, v[k]]) : Array.from(v as unknown[]);
  return pairs
    .map((p) => {
      if (!Array.isArray(p) || p.length !== 2) throw pyErr('urlencode: expected a dict or a list of (key, value) pairs');
      return `${q(p[0], true)}=${q(p[1], true)}`;
    })
    .join('&');
}

/** urllib.parse.urlsplit, as the attributes Ansible's urlsplit filter returns (sorted by name). */
function urlsplit(url: string): Record<string, unknown> {
  let rest = url;
  let scheme = '';
  const sm = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(rest);
  if (sm) {
    scheme = sm[1].toLowerCase();
    rest = rest.slice(sm[0].length);
  }
  let netloc = '';
  if (rest.startsWith('//')) {
    const end = rest.slice(2).search(/[/?#]/);
    netloc = end < 0 ? rest.slice(2) : rest.slice(2, 2 + end);
    rest = end < 0 ? '' : rest.slice(2 + end);
    if ((netloc.includes('[') && !netloc.includes(']')) || (netloc.includes(']') && !netloc.includes('['))) throw pyErr('urlsplit: Invalid IPv6 URL');
  }
  let fragment = '';
  const h = rest.indexOf('#');
  if (h >= 0) [rest, fragment] = [rest.slice(0, h), rest.slice(h + 1)];
  let query = '';
  const qi = rest.indexOf('?');
  if (qi >= 0) [rest, query] = [rest.slice(0, qi), rest.slice(qi + 1)];
  const at = netloc.lastIndexOf('@');
  const userinfo = at >= 0 ? netloc.slice(0, at) : null;
  const hostinfo = at >= 0 ? netloc.slice(at + 1) : netloc;
  const colon = userinfo === null ? -1 : userinfo.indexOf(':');
  const username = userinfo === null ? null : colon >= 0 ? userinfo.slice(0, colon) : userinfo;
  const password = userinfo === null || colon < 0 ? null : userinfo.slice(colon + 1);
  const hm = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(hostinfo)!;
  const hostname = hm[1] ? hm[1].replace(/^\[|\]$/g, '').toLowerCase() : null;
  let port: number | null = null;
  if (hm[2] !== undefined && hm[2] !== '') {
    if (!/^\d+$/.test(hm[2]) || Number(hm[2]) > 65535) throw pyErr(`urlsplit: Port could not be cast to integer value as '${hm[2]}'`);
    port = Number(hm[2]);
  }
  return { fragment, hostname, netloc, password, path: rest, port, query, scheme, username };
}

const HTTP_RE =
  /^((https?:\/\/|www\.)(([\w%-]+\.)+)?([a-z]{2,63}|xn--[\w%]{2,59})|([\w%-]{2,63}\.)+(com|net|int|edu|gov|org|info|mil)|(https?:\/\/)((([\d]{1,3})(\.[\d]{1,3}){3})|(\[([\da-f]{0,4}:){2}([\da-f]{0,4}:?){1,6}])))(?::[\d]{1,5})?(?:[/?#]\S*)?$/i;
const EMAIL_RE = /^\S+@\w[\w.-]*\.\w+$/;

/** Jinja2 3.1's urlize. */
function urlize(text: string, limit: number | null, rel: string, target: string | null): string {
  const trim = (x: string) => (limit !== null && x.length > limit ? x.slice(0, limit) + (x.length >= 3 && limit >= 3 ? '...' : '') : x);
  const relAttr = rel ? ` rel="${escapeHtml(rel)}"` : '';
  const targetAttr = target ? ` target="${escapeHtml(target)}"` : '';
  return escapeHtml(text)
    .split(/(\s+)/)
    .map((word) => {
      let [head, middle, tail] = ['', word, ''];
      const lead = /^([(<]|&lt;)+/.exec(middle);
      if (lead) [head, middle] = [lead[0], middle.slice(lead[0].length)];
      const trail = /([)>.,\n]|&gt;)+$/.exec(middle);
      if (trail) [middle, tail] = [middle.slice(0, trail.index), trail[0]];
      for (const [open, close] of [['(', ')'], ['<', '>'], ['&lt;', '&gt;']]) {
        const starts = middle.split(open).length - 1;
        if (starts <= middle.split(close).length - 1) continue;
        for (let i = 0; i < Math.min(starts, tail.split(close).length - 1); i++) {
          const end = tail.indexOf(close) + close.length;
          middle += tail.slice(0, end);
          tail = tail.slice(end);
        }
      }
      if (HTTP_RE.test(middle)) {
        const href = /^https?:\/\//.test(middle) ? middle : `https://${middle}`;
        middle = `<a href="${href}"${relAttr}${targetAttr}>${trim(middle)}</a>`;
      } else if (middle.startsWith('mailto:') && EMAIL_RE.test(middle.slice(7))) middle = `<a href="${middle}">${middle.slice(7)}</a>`;
      else if (middle.includes('@') && !middle.startsWith('www.') && !middle.includes(':') && EMAIL_RE.test(middle)) middle = `<a href="mailto:${middle}">${middle}</a>`;
      return head + middle + tail;
    })
    .join('');
}

export const WEB_FILTERS: Record<string, FilterFn> = {
  urlencode: (_e, v) => urlencode(v),
  urldecode: (_e, v) => unquote(pyStr(v).replace(/\+/g, ' ')),
  urlsplit: (_e, v, a, kw) => {
    const parts = urlsplit(pyStr(v));
    const q = arg(a, kw, 0, 'query', '');
    if (!q) return parts;
    if (!Object.prototype.hasOwnProperty.call(parts, pyStr(q))) throw pyErr(`urlsplit: unknown URL component: ${pyStr(q)}`);
    return parts[pyStr(q)];
  },
  urlize: (_e, v, a, kw) => {
    const lim = arg(a, kw, 0, 'trim_url_limit', null);
    const rel = new Set(pyStr(arg(a, kw, 3, 'rel', null) ?? '').split(/\s+/).filter(Boolean));
    if (arg(a, kw, 1, 'nofollow', false)) rel.add('nofollow');
    rel.add('noopener');
    const target = arg(a, kw, 2, 'target', null);
    return urlize(pyStr(v), lim === null || lim === undefined ? null : Number(lim), [...rel].sort().join(' '), target === null || target === undefined ? null : pyStr(target));
  },
};
