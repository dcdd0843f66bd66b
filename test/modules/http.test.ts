/** uri / get_url helpers (src/modules/http.ts, uri.ts, get_url.ts): curl's answer parsed as Ansible's fetch_url info; request building. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { curlConfig, curlScript, fetchInfo, parseCurl } from '../../src/modules/http.js';
import { formUrlencoded, uriBody } from '../../src/modules/uri.js';
import { parseChecksum, urlFilename } from '../../src/modules/get_url.js';
import { run } from './helpers.js';
import { sectionsOutput } from '../harness/sections.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const answer = (o: { rc?: number; w?: string; e?: string; h?: string; b?: string }) =>
  sectionsOutput({ curl: { out: '', rc: 0 }, rc: String(o.rc ?? 0), time: '1', w: o.w ?? '200 http://x/y', err: o.e ?? '', head: b64(o.h ?? ''), body: b64(o.b ?? '') });

test('parseCurl: the last response of a redirect chain, its reason and headers; the body as bytes', () => {
  const a = parseCurl(answer({ w: '200 http://x/final', h: 'HTTP/1.1 302 Found\r\nLocation: /final\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Odd: a: b\r\n\r\n', b: '{"a":1}' }), 'http://x/start');
  assert.equal([a.status, a.reason, a.url, a.headers], [200, 'OK', 'http://x/final', [['Content-Type', 'application/json'], ['X-Odd', 'a: b']]]);
  assert.is(a.body.toString(), '{"a":1}');
  assert.throws(() => parseCurl(sectionsOutput({ curl: { out: '', rc: 1 }, rc: '0' }), 'u'), /curl is not installed on the host/);
});

test('fetchInfo: Ansible\'s info for success (msg OK (N bytes), cookies), HTTP errors and connection failures', () => {
  const ok = fetchInfo(parseCurl(answer({ h: 'HTTP/1.1 200 OK\r\nContent-Length: 6\r\nSet-Cookie: sid=abc; Path=/\r\n\r\n' }), 'http://x/y'), 'http://x/y');
  assert.equal(JSON.parse(JSON.stringify(ok)), { url: 'http://x/y', 'content-length': '6', 'set-cookie': 'sid=abc; Path=/', cookies_string: 'sid=abc', cookies: { sid: 'abc' }, msg: 'OK (6 bytes)', status: 200 });
  const nf = fetchInfo(parseCurl(answer({ w: '404 http://x/n', h: 'HTTP/1.1 404 Not Found\r\n\r\n' }), 'http://x/n'), 'http://x/n');
  assert.equal([nf.msg, nf.status, nf.cookies], ['HTTP Error 404: Not Found', 404, undefined]);
  const down = fetchInfo(parseCurl(answer({ rc: 7, w: '000 http://x/', e: 'curl: (7) Failed to connect' }), 'http://x/'), 'http://x/');
  assert.equal([down.status, down.msg], [-1, 'Request failed: <urlopen error [Errno 111] Connection refused>']);
});

test('requests: options in a curl config (quoted, credentials never on the command line); bodies as Ansible builds them', () => {
  const cfg = curlConfig({ url: 'http://x/"q"', method: 'POST', headers: { 'X-A': 'a\\b' }, user: 'u', password: 's3cr"t', timeout: 5, validateCerts: false, follow: true });
  assert.match(cfg, 'url = "http://x/\\"q\\""');
  assert.match(cfg, 'header = "X-A: a\\\\b"');
  assert.match(cfg, 'user = "u:s3cr\\"t"');
  assert.match(cfg, 'insecure');
  assert.not.match(curlScript({ url: 'http://x/', method: 'GET', user: 'u', password: 's3cret', timeout: 5, validateCerts: true, follow: false }), 's3cret');
  const h: Record<string, string> = {};
  assert.is(uriBody({ url: 'u', body: { a: 1, b: [true, null] }, body_format: 'json' }, h)!.toString(), '{"a": 1, "b": [true, null]}');
  assert.equal(h, { 'Content-Type': 'application/json' });
  assert.is(formUrlencoded({ a: '1 2', b: '&', c: "~!'" }), 'a=1+2&b=%26&c=~%21%27');
});

test('get_url helpers: checksum ALGO:HEX, the URL\'s file name', () => {
  assert.equal(parseChecksum('sha256:AB cd'), { algo: 'sha256', sum: 'abcd' });
  assert.throws(() => parseChecksum('abc'), /has to be in format <algorithm>:<checksum>/);
  assert.throws(() => parseChecksum('sha1:http://x/sums'), /not supported by kvplay/);
  assert.throws(() => parseChecksum('sha1:xyz'), /The checksum format is invalid/);
  assert.is(urlFilename('http://x/a/b.tar.gz?x=1'), 'b.tar.gz');
  assert.is(urlFilename('http://x/'), 'index.html');
});

test('uri in check mode is skipped, as Ansible (its module does not support check mode)', async () => {
  const r = await run('uri', { url: 'http://127.0.0.1:1/' }, { check: true });
  assert.is(r.skipped, true);
  assert.is(r.data.msg, 'remote module (uri) does not support check mode');
});

test.run();
