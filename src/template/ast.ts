/**
 * The template AST evaluated by interp.ts, produced by parser.ts (Jinja2's grammar).
 * line/col are 0-based within the template.
 */
export interface Pos {
  line: number;
  col: number;
}

export type Kwargs = [string, Expr][];
/** `*args` and `**kwargs` of a call. */
export interface Stars {
  star?: Expr;
  dstar?: Expr;
}

export type Expr = Pos &
  (
    | { k: 'lit'; v: unknown }
    | { k: 'name'; name: string }
    | { k: 'list'; items: Expr[]; tuple?: boolean }
    | { k: 'dict'; pairs: [Expr, Expr][] }
    | { k: 'get'; obj: Expr; key: Expr }
    | { k: 'slice'; obj: Expr; start: Expr | null; stop: Expr | null; step: Expr | null }
    | ({ k: 'call'; fn: Expr; args: Expr[]; kw: Kwargs } & Stars)
    | ({ k: 'filter'; name: string; value: Expr; args: Expr[]; kw: Kwargs } & Stars)
    | ({ k: 'test'; name: string; value: Expr; args: Expr[]; kw: Kwargs } & Stars)
    | { k: 'not'; e: Expr }
    | { k: 'neg' | 'pos'; e: Expr }
    | { k: 'and' | 'or'; l: Expr; r: Expr }
    | { k: 'cond'; test: Expr; then: Expr; else_: Expr | null }
    | { k: 'bin'; op: BinOp; l: Expr; r: Expr }
    | { k: 'cmp'; first: Expr; ops: [string, Expr][] }
    | { k: 'in'; l: Expr; r: Expr }
    | { k: 'capture'; body: Stmt[] }
    /** the body of a `{% call %}` block: the `caller` macro passed to the called macro */
    | { k: 'caller'; params: string[]; defaults: Kwargs; body: Stmt[] }
  );

export type BinOp = '+' | '-' | '*' | '/' | '//' | '%' | '**' | '~';

export type Stmt = Pos &
  (
    | { k: 'text'; text: string }
    | { k: 'out'; e: Expr }
    | { k: 'if'; test: Expr; body: Stmt[]; else_: Stmt[] }
    | { k: 'for'; names: string[]; iter: Expr; filter: Expr | null; body: Stmt[]; else_: Stmt[] }
    | { k: 'set'; targets: Expr[]; value: Expr | null; body: Stmt[] | null }
    | { k: 'macro'; name: string; params: string[]; defaults: Kwargs; body: Stmt[] }
  );
