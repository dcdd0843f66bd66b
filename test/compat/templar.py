"""
The template oracle: renders templates with Ansible's own Templar, as ansible-playbook does (the
ansible.builtin filter, test and lookup plugins, the lookup/query/now globals), and prints one JSON
result per template. Run once per test file by test/compat/templar.ts, with the Python of
ansible-playbook's shebang.

stdin:  {"basedir": dir|null, "vars": {...}, "cases": [{"t": template, "vars": {...}}...]}
        (a variable {"__unsafe__": value} is that value marked unsafe, as data from a host)
stdout: [{"ok": value, "type": python type name, "unsafe": bool} | {"err": exception class, "msg": text}...]
Values that JSON cannot carry are tagged: {"__float__": "nan"|"inf"|"-inf"}, {"__repr__": repr, "__type__": name}.
"""
import json
import math
import os
import sys
import warnings

warnings.simplefilter('ignore')
# Display() writes warnings and deprecations to stdout/stderr: keep stdout for the JSON only
real_stdout = sys.stdout
sys.stdout = sys.stderr

from ansible.parsing.dataloader import DataLoader  # noqa: E402
from ansible.template import Templar  # noqa: E402
from ansible.utils.unsafe_proxy import AnsibleUnsafe, wrap_var  # noqa: E402


def dec(v):
    if isinstance(v, dict):
        if set(v) == {'__unsafe__'}:
            return wrap_var(v['__unsafe__'])
        return {k: dec(x) for k, x in v.items()}
    if isinstance(v, list):
        return [dec(x) for x in v]
    return v


def enc(v, depth=0):
    if depth > 50:
        return {'__repr__': 'too deep', '__type__': type(v).__name__}
    if v is None or isinstance(v, (bool, str, int)):
        return str(v) if isinstance(v, str) else v
    if isinstance(v, float):
        if math.isnan(v):
            return {'__float__': 'nan'}
        if math.isinf(v):
            return {'__float__': 'inf' if v > 0 else '-inf'}
        return v
    if isinstance(v, (list, tuple)):
        return [enc(x, depth + 1) for x in v]
    if isinstance(v, dict):
        return {str(k): enc(x, depth + 1) for k, x in v.items()}
    return {'__repr__': repr(v), '__type__': type(v).__name__}


def unsafe(v, depth=0):
    if isinstance(v, AnsibleUnsafe):
        return True
    if depth > 50:
        return False
    if isinstance(v, (list, tuple)):
        return any(unsafe(x, depth + 1) for x in v)
    if isinstance(v, dict):
        return any(unsafe(x, depth + 1) for x in v.values())
    return False


def main():
    req = json.load(sys.stdin)
    loader = DataLoader()
    if req.get('basedir'):
        loader.set_basedir(req['basedir'])
        os.chdir(req['basedir'])
    out = []
    for case in req['cases']:
        variables = dec(dict(req.get('vars') or {}))
        variables.update(dec(case.get('vars') or {}))
        templar = Templar(loader=loader, variables=variables)
        try:
            r = templar.template(case['t'])
            out.append({'ok': enc(r), 'type': type(r).__name__, 'unsafe': unsafe(r)})
        except Exception as e:  # noqa: BLE001 -- every error is a result
            out.append({'err': type(e).__name__, 'msg': str(e)})
    real_stdout.write(json.dumps(out))
    real_stdout.flush()


main()
