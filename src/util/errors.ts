/** Source location of a value read from a YAML file (1-based line and column). */
export interface Loc {
  file: string;
  line: number;
  col: number;
}

export function fmtLoc(loc: Loc | undefined): string {
  return loc ? `${loc.file}:${loc.line}:${loc.col}` : '<unknown>';
}

/**
 * An error in the user's input (YAML, schema, inventory, template, pattern...).
 * Always carries where it is and a one-line hint; rendered as
 *   file:line:col: error: message
 *     hint: ...
 */
export class InputError extends Error {
  constructor(
    message: string,
    public loc: Loc | undefined,
    public hint?: string,
  ) {
    super(message);
    this.name = 'InputError';
  }
  format(): string {
    return `${fmtLoc(this.loc)}: error: ${this.message}` + (this.hint ? `\n  hint: ${this.hint}` : '');
  }
}

/** Several input errors found together (all schema errors of a file at once). */
export class InputErrors extends Error {
  constructor(public errors: InputError[]) {
    super(errors.map((e) => e.format()).join('\n'));
    this.name = 'InputErrors';
  }
}

/** The input errors `e` holds go to `into`; anything else is thrown again (a bug, not bad input). */
export function collectInputErrors(e: unknown, into: InputError[]): void {
  if (e instanceof InputErrors) into.push(...e.errors);
  else if (e instanceof InputError) into.push(e);
  else throw e;
}

/** What a caught value says: an Error's message, else the value as text. */
export const errMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** A Node system error's code (ENOENT, EISDIR...), when the caught value has one. */
export const errCode = (e: unknown): string | undefined => {
  const c = e && typeof e === 'object' ? (e as { code?: unknown }).code : undefined;
  return typeof c === 'string' ? c : undefined;
};

/** The host could not be reached (connect, auth, host key, connection lost). */
export class UnreachableError extends Error {
  constructor(message: string, public hint?: string) {
    super(message);
    this.name = 'UnreachableError';
  }
}

/**
 * A module failed on the host. The message is what kvplay shows (with its hint); `result` is the
 * registered value as the Ansible module gives it (its msg, rc, path...).
 */
export class ModuleFailure extends Error {
  constructor(message: string, public result: Record<string, unknown>) {
    super(message);
    this.name = 'ModuleFailure';
  }
}
