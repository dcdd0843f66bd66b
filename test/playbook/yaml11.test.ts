/** YAML 1.1 booleans as Ansible (PyYAML) reads them: `when: yes`, `become: on`. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseYaml } from '../../src/yaml/load.js';

test('yes/no/on/off (PyYAML spellings) are booleans; y/n and quoted values stay strings', () => {
  const v = parseYaml('a: yes\nb: No\nc: ON\nd: off\ne: y\nf: "yes"\ng: [yes, no]\nh: yes please\ni: true\n', 'x.yml');
  assert.equal(JSON.parse(JSON.stringify(v)), { a: true, b: false, c: true, d: false, e: 'y', f: 'yes', g: [true, false], h: 'yes please', i: true });
});

test.run();
