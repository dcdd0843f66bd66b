/**
 * Issue 11: the Jinja2 filters and tests of ansible-core 2.14 (ansible.builtin core, mathstuff,
 * urls, files, uri) and Jinja2's builtins, case by case against Ansible's own Templar
 * (test/compat/templar.py, run once for the whole file). Each case is one test: kvplay's render()
 * must give Ansible's value (or fail where Ansible fails) and the same unsafe mark.
 * Non-deterministic filters (random, shuffle, password_hash without salt, now()) are checked by
 * shape in test/compat/filters-shape.test.ts.
 */
import * as assert from 'uvu/assert';
import { requires } from '../harness/gate.js';
import { compare, kvplayOutcome, oracle, type OracleCase, type OracleResult } from './templar.js';
import type { Vars } from '../../src/template/index.js';

const VARS: Vars = {
  s: 'Hello World', n: 7, f: 2.5, neg: -3, e: '', z: null, t: true, l: [3, 1, 2], ls: ['b', 'a', 'C', 'A'], d: { b: 2, a: 1 },
  users: [
    { name: 'alice', age: 30, groups: ['wheel', 'dev'], authorized: ['k1', 'k2'], mysql: { hosts: ['h1', 'h2'] } },
    { name: 'bob', age: 25, groups: ['dev'], authorized: ['k3'], mysql: { hosts: [] } },
  ],
  udict: { alice: { name: 'alice', uid: 1 }, bob: { name: 'bob', uid: 2 } },
  nested: [1, [2, [3, [4]]], null, 'None', [5, null]],
  path: '/etc/ansible/hosts.cfg', winpath: 'C:\\Users\\me\\file.txt',
  ok_res: { changed: false, failed: false }, fail_res: { failed: true, changed: true }, skip_res: { skipped: true, changed: false },
  job: { started: 1, finished: 0, ansible_job_id: '1' }, done_job: { started: 1, finished: 1 },
  date: '2016-08-14 20:00:12', big: 1048576,
  url: 'https://user:pw@www.example.com:8080/a/b?x=1&y=2#frag',
  text: 'line one\nline two\n\nline four',
  html: '<p>Hello <b>World</b></p>',
  vaulted: '$ANSIBLE_VAULT;1.1;AES256\n6162\n',
  mixed: [1, 'a', [2], { k: 'v' }],
  yamls: [
    '', 'yes', 'No', 'on', '1.5', '1e3', '0x1F', '012', '1_000', '~', 'null', 'NULL', '2001-12-14', '<<', '=', 'x: y', 'a:b', '- a', '-a', '? x', ':x', '#c', 'a #c', 'a#c',
    '[x]', '{x}', 'a,b', '*x', '&x', '!x', '|x', '>x', "'q'", '"d"', '%x', '@x', '`x', '---', '--- x', '...x', ' lead', 'trail ', 'tab\there', 'multi\nline',
    'multi\nline\n', '\nlead', 'trail\n', 'sp \nbrk', 'brk\n sp', 'é ü', 'emoji 😀', 'nul\u0000', 'bell\u0007', 'nbsp\u00a0x', 'bom\ufeffx', 'ls\u2028x', 'cr\rx',
    'w ' + 'word '.repeat(30), 'x'.repeat(100), 'q ' + "it's ".repeat(25), 'd\t' + 'tab '.repeat(30), '  two  spaces  ' + 'a '.repeat(50), 'key: value '.repeat(12),
  ],
  ydoc: { z: [1, 2, { a: null, b: true }], a: { nested: { deep: ['x', ['y', 'z']] }, empty: {}, list: [] }, 'k e y': 'v', ['long key '.repeat(20)]: 1, '': 'empty key', '1': 'numeric key', f: 1.5, n: -3 },
};

/** [template] or [template, extra vars]: one case each. */
const CASES: (string | OracleCase)[] = [
  // --- math: log, pow, root, abs, round, int, float
  '{{ 100 | log(10) }}', '{{ 8 | log(2) }}', '{{ 1 | log }}', '{{ n | log }}', '{{ "x" | log }}', '{{ 0 | log }}',
  '{{ 2 | pow(10) }}', '{{ f | pow(2) }}', '{{ 4 | pow(0.5) }}', '{{ "a" | pow(2) }}',
  '{{ 16 | root }}', '{{ 27 | root(3) }}', '{{ 2 | root }}', '{{ -4 | root }}', '{{ "x" | root }}',
  '{{ neg | abs }}', '{{ -2.5 | abs }}', '{{ "x" | abs }}',
  '{{ 2.5 | round }}', '{{ 3.14159 | round(2) }}', '{{ 3.7 | round(0, "floor") }}', '{{ 3.2 | round(1, "ceil") }}', '{{ 42 | round }}',
  '{{ "42" | int }}', '{{ "0x1A" | int(base=16) }}', '{{ "x" | int(5) }}', '{{ 3.9 | int }}', '{{ "3.9" | float }}', '{{ "abc" | float }}',
  // --- min/max with attributes, sum
  '{{ l | min }}', '{{ l | max }}', '{{ users | min(attribute="age") }}', '{{ users | max(attribute="age") }}',
  '{{ ls | max }}', '{{ ls | max(case_sensitive=true) }}', '{{ ls | min(case_sensitive=true) }}', '{{ [] | max }}',
  '{{ users | sum(attribute="age") }}', '{{ l | sum(start=10) }}', '{{ [[1], [2]] | sum(start=[]) }}',
  // --- set theory
  '{{ [1, 2, 2, 3] | unique }}', '{{ ls | unique }}', '{{ ls | unique(case_sensitive=true) }}', '{{ users | unique(attribute="groups") | map(attribute="name") | list }}',
  '{{ [1, 2, 3] | union([3, 4]) }}', '{{ [1, 2, 3] | intersect([2, 3, 4]) }}', '{{ [1, 2, 3] | difference([2]) }}', '{{ [1, 2, 3] | symmetric_difference([3, 4]) }}',
  '{{ [[1], [2]] | union([[2], [3]]) }}',
  // --- combine, dict2items, items2dict
  '{{ {"a": 1, "b": {"x": 1}} | combine({"b": {"y": 2}}) }}',
  '{{ {"a": 1, "b": {"x": 1}} | combine({"b": {"y": 2}}, recursive=true) }}',
  '{{ {"a": [1, 2]} | combine({"a": [2, 3]}, list_merge="append") }}',
  '{{ {"a": [1, 2]} | combine({"a": [2, 3]}, list_merge="prepend") }}',
  '{{ {"a": [1, 2]} | combine({"a": [2, 3]}, list_merge="append_rp") }}',
  '{{ {"a": [1, 2]} | combine({"a": [2, 3]}, list_merge="prepend_rp") }}',
  '{{ {"a": [1, 2]} | combine({"a": [2, 3]}, list_merge="keep") }}',
  '{{ {"a": [1, 2]} | combine({"a": [2, 3]}, list_merge="replace") }}',
  '{{ {"a": {"l": [1]}} | combine({"a": {"l": [2]}}, recursive=true, list_merge="append") }}',
  '{{ {"a": 1} | combine({"a": 2}, {"a": 3, "b": 4}) }}', '{{ [{"a": 1}, {"b": 2}] | combine }}', '{{ {"a": 1} | combine({"b": 2}, bogus=1) }}',
  '{{ {"a": [1]} | combine({"a": [2]}, list_merge="bogus") }}', '{{ {} | combine }}',
  '{{ d | dict2items }}', '{{ d | dict2items(key_name="k", value_name="v") }}', '{{ [1] | dict2items }}',
  '{{ [{"key": "a", "value": 1}, {"key": "b", "value": 2}] | items2dict }}', '{{ [{"k": "a", "v": 1}] | items2dict(key_name="k", value_name="v") }}',
  '{{ [{"k": "a"}] | items2dict }}', '{{ "x" | items2dict }}', '{{ d | items | list }}', '{{ d | dictsort }}', '{{ d | dictsort(by="value", reverse=true) }}',
  // --- ternary, bool, type_debug, mandatory, default
  '{{ t | ternary("yes", "no") }}', '{{ e | ternary("yes", "no") }}', '{{ z | ternary("yes", "no", "none") }}', '{{ z | ternary("yes", "no") }}',
  '{{ "yes" | bool }}', '{{ "off" | bool }}', '{{ 1 | bool }}', '{{ z | bool }}',
  '{{ n | type_debug }}', '{{ s | type_debug }}', '{{ l | type_debug }}', '{{ d | type_debug }}', '{{ z | type_debug }}', '{{ f | type_debug }}',
  '{{ missing | default("dflt") }}', '{{ e | default("dflt", true) }}', '{{ missing | mandatory }}', '{{ n | mandatory }}',
  // --- hashes, checksums, uuid, encodings
  '{{ s | hash }}', '{{ s | hash("md5") }}', '{{ s | hash("sha256") }}', '{{ s | hash("sha512") }}', '{{ s | hash("blake2b") }}', '{{ s | hash("nope") }}',
  '{{ s | md5 }}', '{{ s | sha1 }}', '{{ s | checksum }}', '{{ n | hash("md5") }}',
  '{{ s | to_uuid }}', '{{ "www.example.com" | to_uuid(namespace="6ba7b810-9dad-11d1-80b4-00c04fd430c8") }}', '{{ s | to_uuid(namespace="bad") }}',
  '{{ s | b64encode }}', '{{ "SGVsbG8gV29ybGQ=" | b64decode }}', '{{ "é" | b64encode }}', '{{ "w6k=" | b64decode }}',
  '{{ "a%20b+c%2Fd" | urldecode }}', '{{ "a b&c=d/é" | urlencode }}', '{{ {"a": "b c", "d": 1} | urlencode }}',
  // --- password_hash with a given salt (crypt's exact output)
  '{{ "secret" | password_hash("sha512", "mysalt") }}', '{{ "secret" | password_hash("sha256", "mysalt") }}', '{{ "secret" | password_hash("md5", "mysalt") }}',
  '{{ "secret" | password_hash("sha512_crypt", "abcdefghijklmnop") }}', '{{ "secret" | password_hash("sha512", "mysalt", rounds=5000) }}',
  '{{ "secret" | password_hash("sha512", "mysalt", rounds=10000) }}', '{{ "secret" | password_hash("sha256", "mysalt", rounds=1000) }}',
  '{{ "pässwörd" | password_hash("sha512", "s1") }}', '{{ "" | password_hash("md5", "x") }}', '{{ "secret" | password_hash("sha512", "bad$salt") }}',
  '{{ "secret" | password_hash("sha512", "saltsaltsaltsaltsalt") }}', '{{ "secret" | password_hash("nope", "mysalt") }}',
  '{{ "x" * 100 | password_hash("sha512", "longpw") }}', '{{ "x" * 100 | password_hash("sha256", "longpw") }}', '{{ "x" * 100 | password_hash("md5", "longpw") }}',
  // --- regex (YAML single-quoted text: Ansible doubles the backslashes of string literals inside {{ }})
  '{{ "foo1 bar22" | regex_findall("\\d+") }}', '{{ "a=1 b=2" | regex_findall("(\\w)=(\\d)") }}', '{{ "A a" | regex_findall("a", ignorecase=true) }}',
  '{{ "x\ny" | regex_findall("^y", multiline=true) }}', '{{ "foo1 bar22" | regex_search("\\d+") }}', '{{ "foo" | regex_search("\\d+") }}',
  '{{ "key=val" | regex_search("(\\w+)=(\\w+)", "\\2", "\\1") }}', '{{ "key=val" | regex_search("(?P<k>\\w+)=", "\\g<k>") }}', '{{ "kv" | regex_search("k", "x") }}',
  '{{ "a\\b" | regex_findall("\\\\b") }}', '{{ "A1" | regex_search("a\\d", ignorecase=true) }}', '{{ "x\n1" | regex_search("^\\d", multiline=true) }}',
  '{{ "Hello" | regex_replace("l+", "L") }}', '{{ "ab" | regex_replace("(a)(b)", "\\2\\1") }}', '{{ "ab" | regex_replace("(?P<x>a)", "<\\g<x>>") }}',
  '{{ "a.b*c" | regex_escape }}', '{{ "a.b*c[^$]" | regex_escape("posix_basic") }}', '{{ "a" | regex_escape("posix_extended") }}',
  '{{ "aaa" | regex_replace("a", "b", count=2) }}', '{{ "A\nb" | regex_replace("^b", "c", multiline=true) }}', '{{ "tab\there" }}', '{{ "q\\"uote" }}',
  '{% set x = "a\\nb" %}{{ x }}', '{{ "\\u00e9\\x41" }}',
  // --- zip, zip_longest, flatten, product, permutations, combinations
  '{{ [1, 2, 3] | zip(["a", "b"]) | list }}', '{{ [1, 2] | zip(["a", "b"], [true, false]) | list }}', '{{ [1, 2, 3] | zip_longest(["a"]) | list }}',
  '{{ [1, 2, 3] | zip_longest(["a"], fillvalue="-") | list }}', '{{ nested | flatten }}', '{{ nested | flatten(1) }}', '{{ nested | flatten(levels=2) }}',
  '{{ nested | flatten(skip_nulls=false) }}', '{{ [1, 2] | product(["a", "b"]) | list }}', '{{ [1, 2] | product(["a"], [true]) | list }}', '{{ [1, 2] | product(repeat=2) | list }}',
  '{{ [1, 2, 3] | permutations | list }}', '{{ [1, 2, 3] | permutations(2) | list }}', '{{ [1, 2, 3, 4] | combinations(2) | list }}', '{{ "abc" | permutations(2) | list }}',
  // --- human_readable, human_to_bytes
  '{{ big | human_readable }}', '{{ 1 | human_readable }}', '{{ 1536 | human_readable }}', '{{ big | human_readable(isbits=true) }}', '{{ big | human_readable(unit="K") }}',
  '{{ 10 ** 13 | human_readable }}', '{{ 1000 | human_readable(isbits=true, unit="G") }}', '{{ "1024" | human_readable }}', '{{ "x" | human_readable }}',
  '{{ "1K" | human_to_bytes }}', '{{ "1.5 MB" | human_to_bytes }}', '{{ "10" | human_to_bytes }}', '{{ "10" | human_to_bytes(default_unit="M") }}', '{{ "1Mb" | human_to_bytes(isbits=true) }}',
  '{{ "2 GiB" | human_to_bytes }}', '{{ "1 xB" | human_to_bytes }}', '{{ "1MB" | human_to_bytes(isbits=true) }}', '{{ "1Mb" | human_to_bytes }}', '{{ "0.5K" | human_to_bytes }}',
  // --- rekey_on_member, subelements, extract, map/select
  '{{ users | rekey_on_member("name") }}', '{{ udict | rekey_on_member("uid") }}', '{{ [{"a": 1}, {"a": 1}] | rekey_on_member("a") }}', '{{ [{"a": 1}, {"a": 1, "b": 2}] | rekey_on_member("a", duplicates="overwrite") }}',
  '{{ [{"a": 1}] | rekey_on_member("b") }}',
  '{{ users | subelements("groups") | map("last") | list }}', '{{ users | subelements("mysql.hosts") | map("last") | list }}', '{{ users | subelements("missing") }}',
  '{{ users | subelements("missing", skip_missing=true) }}', '{{ udict | subelements("name") }}',
  '{{ ["a", "b"] | map("extract", d) | list }}', '{{ [0, 2] | map("extract", ["x", "y", "z"]) | list }}', '{{ "alice" | extract(udict, "uid") }}', '{{ "alice" | extract(udict, ["uid"]) }}',
  '{{ users | map(attribute="name") | list }}', '{{ users | selectattr("age", "gt", 26) | map(attribute="name") | list }}', '{{ users | rejectattr("name", "eq", "bob") | map(attribute="age") | list }}',
  '{{ l | select("odd") | list }}', '{{ l | reject("==", 1) | list }}', '{{ l | map("string") | list }}', '{{ users | map(attribute="x", default="-") | list }}',
  // --- paths
  '{{ path | basename }}', '{{ path | dirname }}', '{{ path | splitext }}', '{{ "/a/b/" | basename }}', '{{ winpath | win_basename }}', '{{ winpath | win_dirname }}', '{{ winpath | win_splitdrive }}',
  '{{ "~/x" | expanduser }}', '{{ "$HOME/x" | expandvars }}', '{{ "/etc/../usr/./lib" | realpath }}', '{{ "/usr/lib" | relpath("/usr/share") }}',
  '{{ ["/etc", "ansible", "x.cfg"] | path_join }}', '{{ ["a", "/b", "c"] | path_join }}', '{{ "abc" | path_join }}', '{{ 1 | path_join }}',
  // --- strings (Jinja2 builtins)
  '{{ s | center(21) }}', '{{ s | truncate(8) }}', '{{ s | truncate(8, true) }}', '{{ s | truncate(9, false, "..", 0) }}', '{{ "a b c" | wordcount }}',
  '{{ text | wordwrap(5) }}', '{{ "one two three four" | wordwrap(9) }}', '{{ html | striptags }}', '{{ html | escape }}', '{{ html | forceescape }}', '{{ 1500 | filesizeformat }}',
  '{{ 1500000 | filesizeformat(true) }}', '{{ 100 | filesizeformat }}', '{{ "ab" | list }}', '{{ s | replace("o", "0", 1) }}', '{{ s | lower }}', '{{ s | upper }}',
  '{{ "hELLO wORLD" | capitalize }}', '{{ "hello world" | title }}', '{{ "  x " | trim }}', '{{ "xxaxx" | trim("x") }}', '{{ "a\\nb" | indent(2, true) }}',
  '{{ "%s-%d" | format("a", 3) }}', '{{ l | join(",") }}', '{{ users | join(",", attribute="name") }}', '{{ s | reverse }}', '{{ l | reverse | list }}',
  '{{ s | length }}', '{{ d | count }}', '{{ l | first }}', '{{ l | last }}', '{{ s | first }}', '{{ [1, 2, 3, 4, 5] | slice(2) | list }}', '{{ [1, 2, 3, 4, 5] | batch(2, "x") | list }}',
  '{{ {"class": "my", "id": 3} | xmlattr }}', '{{ {"a": 1} | pprint }}', '{{ s | safe }}', '{{ "x" | string }}', '{{ "go to http://example.com now" | urlize }}',
  '{{ users | groupby("age") | map("first") | list }}', '{{ l | sort }}', '{{ l | sort(reverse=true) }}', '{{ users | sort(attribute="age") | map(attribute="name") | list }}',
  '{{ ls | sort }}', '{{ ls | sort(case_sensitive=true) }}', '{{ d | tojson }}', '{{ "<x>" | tojson }}', '{{ users | attr("0") }}',
  '{{ "a,b" | split(",") }}', '{{ "a b  c" | split }}', '{{ "a,b,c" | split(",", 1) }}',
  // --- comment
  '{{ "a\\nb" | comment }}', '{{ "x" | comment("c") }}', '{{ "x" | comment("cblock") }}', '{{ "x" | comment("xml") }}', '{{ "x" | comment("erlang") }}',
  '{{ "x" | comment(decoration="; ") }}', '{{ "x" | comment("plain", prefix="#!", postfix_count=2) }}', '{{ "x" | comment("nope") }}',
  // --- JSON/YAML
  '{{ d | to_json }}', '{{ d | to_json(sort_keys=true) }}', '{{ d | to_nice_json }}', '{{ d | to_nice_json(indent=2) }}', '{{ "é" | to_json }}', '{{ "é" | to_json(ensure_ascii=false) }}',
  '{{ d | to_yaml }}', '{{ users[0] | to_nice_yaml }}', '{{ [1, "a"] | to_yaml }}', '{{ "a: 1\\nb: [1, 2]" | from_yaml }}', '{{ "---\\na: 1\\n---\\nb: 2" | from_yaml_all | list }}',
  '{{ "{\\"a\\": 1}" | from_json }}', '{{ "[1, 2" | from_json }}', '{{ {"a": "é"} | to_nice_yaml }}', '{{ s | to_yaml }}', '{{ 3 | to_yaml }}',
  // --- YAML as PyYAML/libyaml writes it (to_yaml, to_nice_yaml)
  ...Array.from({ length: 60 }, (_x, i) => `{{ yamls[${i}] | to_yaml }}`),
  '{{ yamls | to_yaml }}', '{{ yamls | to_nice_yaml }}', '{{ ydoc | to_yaml }}', '{{ ydoc | to_nice_yaml }}', '{{ ydoc | to_nice_yaml(indent=2) }}',
  '{{ ydoc | to_yaml(indent=4) }}', '{{ ydoc | to_yaml(width=40) }}', '{{ ydoc | to_nice_yaml(width=1000) }}', '{{ ydoc | to_yaml(sort_keys=false) }}',
  '{{ ydoc | to_yaml(explicit_start=true) }}', '{{ s | to_yaml(explicit_start=true, explicit_end=true) }}', '{{ ydoc | to_yaml(default_flow_style=true) }}',
  '{{ ydoc | to_yaml(default_flow_style=false) }}', '{{ [ydoc, [ydoc]] | to_nice_yaml }}', '{{ [[1, [2, [3]]], {"a": [{"b": [{}]}]}] | to_nice_yaml(indent=3) }}',
  '{{ {"a": [1.5, 0.1, 1e-7, 123456789.125, -0.5]} | to_yaml }}', '{{ users | to_nice_yaml }}', '{{ users | to_yaml }}', '{{ {"k": yamls[3:9]} | to_nice_yaml }}',
  // --- dates
  '{{ "%Y-%m-%d" | strftime(0) }}', '{{ "%Y-%m-%d %H:%M:%S" | strftime(1700000000, utc=true) }}', '{{ "%a %b %d %j %U %y %p %%" | strftime(1700000000, utc=true) }}',
  '{{ "%Y" | strftime("x") }}', '{{ date | to_datetime }}', '{{ (date | to_datetime).year }}', '{{ ("2016-08-14" | to_datetime("%Y-%m-%d")).day }}',
  '{{ ((date | to_datetime) - ("2015-12-25" | to_datetime("%Y-%m-%d"))).days }}', '{{ ((date | to_datetime) - ("2016-08-14 19:00:00" | to_datetime)).total_seconds() }}',
  '{{ ((date | to_datetime) - ("2015-12-25" | to_datetime("%Y-%m-%d"))).seconds }}', '{{ (date | to_datetime) - ("2015-12-25" | to_datetime("%Y-%m-%d")) }}',
  '{{ (date | to_datetime) > ("2015-12-25" | to_datetime("%Y-%m-%d")) }}', '{{ "x" | to_datetime }}', '{{ (date | to_datetime).strftime("%d/%m/%Y") }}',
  '{{ "14/08/2016 20:00" | to_datetime("%d/%m/%Y %H:%M") }}',
  // --- urlsplit, quote, vault
  '{{ url | urlsplit }}', '{{ url | urlsplit("hostname") }}', '{{ url | urlsplit("port") }}', '{{ url | urlsplit("query") }}', '{{ url | urlsplit("nope") }}',
  '{{ "a b\'c" | quote }}', '{{ z | quote }}', '{{ "safe" | quote }}',
  // --- vault / unvault (a given salt makes the envelope Ansible's to the byte)
  '{{ "secret data" | vault("pw", salt="0123456789abcdef") }}', '{{ "x" * 40 | vault("pw", salt="s", vaultid="prod") }}', '{{ "x" | vault("pw", salt="s", vaultid="default") }}',
  '{{ "secret data" | vault("pw") | unvault("pw") }}', '{{ "plain" | unvault("pw") }}', '{{ "x" | vault("pw", salt="s") | unvault("wrong") }}', '{{ 1 | vault("pw") }}',
  '{{ "x" | vault(1) }}', { t: '{{ v | unvault("pw") }}', vars: { v: '$ANSIBLE_VAULT;1.1;AES256\n6162\n' } },
  // --- tests
  '{{ fail_res is failed }}', '{{ fail_res is failure }}', '{{ ok_res is succeeded }}', '{{ ok_res is success }}', '{{ ok_res is successful }}', '{{ fail_res is changed }}',
  '{{ fail_res is change }}', '{{ skip_res is skipped }}', '{{ skip_res is skip }}', '{{ ok_res is reachable }}', '{{ ok_res is unreachable }}',
  '{{ job is started }}', '{{ job is finished }}', '{{ done_job is finished }}', '{{ ok_res is started }}', '{{ ok_res is finished }}', '{{ s is failed }}',
  '{{ "1.2.10" is version("1.2.9", ">") }}', '{{ "1.2.10" is version_compare("1.2.9", "lt") }}', '{{ "2.0" is version("2.0.0", "==") }}', '{{ "1.0a" is version("1.0", "gt") }}',
  '{{ "1.2.3" is version("1.2.4", "<", strict=true) }}', '{{ "1.2.3-rc1" is version("1.2.3", "lt", version_type="semver") }}', '{{ "1.2" is version("1.3", "nope") }}',
  '{{ "2.14.1" is version("2.14", ">=", version_type="loose") }}', '{{ "1:2.0-1" is version("1:1.9", "gt") }}',
  '{{ "abc" is match("b") }}', '{{ "abc" is search("b") }}', '{{ "abc" is regex("^a") }}', '{{ "ABC" is match("a", ignorecase=true) }}', '{{ "abc" is regex("b", match_type="match") }}',
  '{{ "abc" is regex("abc", match_type="fullmatch") }}', '{{ l is contains(1) }}', '{{ [true, 1] is all }}', '{{ [0, ""] is any }}', '{{ [1] is subset([1, 2]) }}',
  '{{ [1, 2] is superset([2]) }}', '{{ [1, 3] is issubset([1, 2]) }}', '{{ [1, 2] is issuperset([3]) }}', '{{ "nan" | float is nan }}', '{{ 1 is nan }}', '{{ "x" is isnan }}',
  '{{ "/etc" is abs }}', '{{ "etc" is is_abs }}', '{{ vaulted is vault_encrypted }}', '{{ s is vault_encrypted }}',
  '{{ url is uri }}', '{{ url is url }}', '{{ "urn:isbn:0451450523" is urn }}', '{{ "mailto:a@b" is url }}', '{{ "nope" is uri }}', '{{ "ftp://x" is uri(["http"]) }}',
  '{{ "yes" is truthy }}', '{{ "no" is falsy(convert_bool=true) }}', '{{ "" is falsy }}', '{{ n is divisibleby 7 }}', '{{ n is odd }}', '{{ z is none }}', '{{ s is string }}',
  '{{ f is float }}', '{{ n is integer }}', '{{ n is number }}', '{{ d is mapping }}', '{{ l is iterable }}', '{{ s is sequence }}', '{{ s is lower }}', '{{ "AB" is upper }}',
  '{{ 1 is in([1, 2]) }}', '{{ 1 is eq 1 }}', '{{ 1 is ne 2 }}', '{{ 1 is lt 2 }}', '{{ 2 is ge 2 }}', '{{ 3 is gt 2 }}', '{{ 1 is le 0 }}', '{{ t is true }}', '{{ t is false }}',
  '{{ t is boolean }}', '{{ missing is undefined }}', '{{ s is defined }}', '{{ "upper" is filter }}', '{{ "nope" is filter }}', '{{ "odd" is test }}', '{{ "nope" is test }}',
  '{{ s is escaped }}', '{{ s is callable }}', '{{ z is sameas none }}', '{{ 1 is equalto 1 }}', '{{ 1 is greaterthan 0 }}', '{{ 1 is lessthan 0 }}',
  // --- seeded randomness: Python's Random(seed), as Ansible
  '{{ 60 | random(seed="host1") }}', '{{ 60 | random(seed="host2") }}', '{{ 1000000 | random(seed=42) }}', '{{ 100 | random(10, 5, seed="x") }}', '{{ 2 ** 40 | random(seed="big") }}',
  '{{ ["a", "b", "c", "d"] | random(seed="pick") }}', '{{ "abcdef" | random(seed=7) }}', '{{ [1, 2, 3, 4, 5, 6, 7, 8] | shuffle(seed="s") }}', '{{ range(20) | shuffle(seed=3) }}',
  '{{ 10 | random(seed="") }}', '{{ [] | random }}', '{{ 0 | random }}', '{{ 5 | random(start=1, seed="q") }}', '{{ [1] | random(start=1) }}', '{{ 2.5 | random }}',
  // --- *args and **kwargs in calls
  { t: '{{ "%s-%s" | format(*pair) }}', vars: { pair: ['a', 'b'] } }, { t: '{{ d | combine(*more) }}', vars: { more: [{ c: 3 }, { a: 9 }] } },
  { t: '{{ l | sort(**opts) }}', vars: { opts: { reverse: true } } }, { t: '{{ dict(**kw) }}', vars: { kw: { x: 1 } } }, { t: '{{ range(*bounds) | list }}', vars: { bounds: [1, 4] } },
  { t: '{{ [1] | zip(*others) | list }}', vars: { others: [['a'], ['b']] } }, { t: '{{ "abc" is regex(*args) }}', vars: { args: ['B', true] } },
  { t: '{{ dict(*pairs, **kw) }}', vars: { pairs: [[['a', 1]]], kw: { b: 2 } } }, { t: '{{ "x" | format(*n) }}', vars: { n: 3 } }, { t: '{{ dict(**l) }}', vars: { l: [1] } },
  // --- what a render gives: trailing newlines, None, strings read as literals (ansible_eval_concat), STRING_TYPE_FILTERS
  '{{ s | lower }}\n', '{{ s }}\n\n', '{{ [1, 2] }}\n', '{{ "[1, 2]" }}', '{{ "[1, 2]" }}\n', '{{ "True" }}', '{{ "false" }}', 'x {{ "[1]" }}', '[{{ n }}, 2]', '{{ "{\\"a\\": 1}" }}',
  "{{ '{\"a\": true, \"b\": null}' }}", '{{ "{\'a\': 1}" | string }}', '{{ "[1, 2]" | lower }}', '{{ "[1, 2]" | to_json }}', '{{ z }}', '{{ z }} ', '{{ none }}\n', '{{ "[1, x]" }}',
  '{% if t %}[1, {{ n }}]{% endif %}', '{{ "(1, 2)" }}', '{{ "[1, 2]" ~ "" }}', '{{ "  [1]" }}', '{{ "[1] " }}',
  // --- now() and undef()
  '{{ now(fmt="%Y") | int > 2000 }}', '{{ now().year > 2000 }}', '{{ now(utc=true).year > 2000 }}', '{{ undef() is undefined }}', '{{ undef("hint") | default(5) }}',
];

const test = requires({ tools: ['ansible-playbook'] });
let results: OracleResult[] | undefined;
const ansible = () => (results ??= oracle(CASES, { vars: VARS, env: { HOME: '/home/oracle' } }));
const HOME = process.env.HOME;
test.before(() => {
  process.env.HOME = '/home/oracle'; // expanduser / expandvars: the same HOME on both sides
});
test.after(() => {
  process.env.HOME = HOME;
});

CASES.forEach((c, i) => {
  const { t, vars } = typeof c === 'string' ? { t: c, vars: {} } : c;
  test(t, () => {
    const why = compare(kvplayOutcome(t, structuredClone({ ...VARS, ...vars })), ansible()[i]);
    if (why) assert.unreachable(why);
  });
});

test.run();
