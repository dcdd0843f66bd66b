/** Internal error and value types shared by the template modules. */

export type Vars = Record<string, unknown>;
export type Kw = Record<string, unknown>;

export const UNDEF_HINT =
  "define it (play/host/group vars, inventory, set_fact or register), or guard it: '{{ x | default(...) }}', 'when: x is defined'";
export const SYNTAX_HINT =
  "check the {{ }} / {% %} delimiters, brackets and quotes (strings inside a template need quotes, and a YAML value starting with {{ must itself be quoted)";
export const SANDBOX_HINT = 'templates can only read data: use filters and the Python-like methods on strings, lists and dicts';
export const TYPE_HINT = 'convert the values first, e.g. with | int, | float, | string or | list';

/** An error inside a template; `line` is 0-based within the template being evaluated. */
export class TplError extends Error {
  constructor(message: string, public hint: string | undefined, public line: number) {
    super(message);
    this.name = 'TplError';
  }
}

/** Jinja's (strict) Undefined: flows through attribute lookups, `default` and `is defined`; any other use fails. */
export class Undef {
  constructor(public readonly msg: string, public readonly line: number, public readonly hint: string = UNDEF_HINT) {}
  fail(): never {
    throw new TplError(this.msg, this.hint, this.line);
  }
  /** The same undefined value, reported at another template line. */
  at(line: number): Undef {
    return line === this.line ? this : new Undef(this.msg, line, this.hint);
  }
}

/** Throw when v is undefined; otherwise return it. */
export function need<T>(v: T): T {
  if (v instanceof Undef) v.fail();
  return v;
}

/** Base class of template-internal callables (global functions, macros): opaque to templates. */
export abstract class Opaque {
  abstract describe(): string;
}

/**
 * A Python object value other than str/number/list/dict (datetime, timedelta): read only through
 * its own attributes and methods (sandbox.ts), compared and combined through its own operators.
 */
export abstract class PyObject {
  /** Python's type name (type_debug). */
  abstract readonly typeName: string;
  /** str() */
  abstract str(): string;
  repr(): string {
    return this.str();
  }
  /** What to_json writes (Ansible's JSON encoder): an ISO date, for example. */
  json(): unknown {
    return this.str();
  }
  /** An attribute value, or undefined when there is none. */
  attr(_name: string): unknown {
    return undefined;
  }
  /** A method call; undefined when there is no such method. */
  call(_name: string, _args: unknown[], _kw: Kw): unknown {
    return undefined;
  }
  /** The result of `this op other` (or `other op this` when `right`), or undefined when unsupported. */
  binop(_op: string, _other: unknown, _right: boolean): unknown {
    return undefined;
  }
  /** -1/0/1 against another value, or undefined when they do not compare. */
  compare(_other: unknown): number | undefined {
    return undefined;
  }
  truth(): boolean {
    return true;
  }
}
