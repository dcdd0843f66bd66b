/**
 * Module parameter schemas: the ONE place that knows TypeBox (@sinclair/typebox). A module writes
 * its schema with these builders and derives its parameter type from it:
 *
 *   const schema = object({ path: str('The file.', { aliases: ['dest', 'name'] }), backup: backupProp }, { required: ['path'] });
 *   export type FooParams = Static<typeof schema>; // { path: string; backup?: boolean }
 *
 * The builders produce plain JSON Schema (validated by ajv in validate.ts, written to
 * dist/modules.json, rendered into docs from the descriptions); TypeBox only carries the type.
 * Every property is optional unless object()'s `required` lists it. `aliases` on a property: other
 * names for it, resolved to it before validation (validate.ts resolveAliases).
 */
import { Type, type Static, type TArray, type TBoolean, type TInteger, type TNumber, type TObject, type TOptional, type TSchema, type TString, type TUnsafe } from '@sinclair/typebox';
import { MODE_PATTERN } from '../../util/mode.js';

export type { Static, TSchema };

/** What every property may carry besides its type: docs, and other names (resolved before validation). */
interface Meta {
  /** other names for this parameter (Ansible's aliases): `dest: /x` reads as `path: /x` */
  aliases?: readonly string[];
  default?: unknown;
}
type StrExtra = Meta & { pattern?: string; minLength?: number; maxLength?: number; format?: string };
type NumExtra = Meta & { minimum?: number; maximum?: number; exclusiveMinimum?: number };

export const str = (description: string, extra: StrExtra = {}): TString => Type.String({ description, ...extra });
export const bool = (description: string, dflt?: boolean, extra: Meta = {}): TBoolean => Type.Boolean({ description, ...(dflt !== undefined ? { default: dflt } : {}), ...extra });
export const int = (description: string, extra: NumExtra = {}): TInteger => Type.Integer({ description, ...extra });
export const num = (description: string, extra: NumExtra = {}): TNumber => Type.Number({ description, ...extra });
export const strList = (description: string, extra: Meta = {}): TArray<TString> => Type.Array(Type.String(), { description, ...extra });
/** a list of items of one schema (e.g. of object()s) */
export const arrayOf = <T extends TSchema>(items: T, description: string, extra: Meta = {}): TArray<T> => Type.Array(items, { description, ...extra });
/** a string from a fixed list (JSON Schema `enum`, so errors name the allowed values) */
export const strEnum = <const V extends readonly string[]>(values: V, description: string, extra: Meta = {}): TUnsafe<V[number]> =>
  Type.Unsafe<V[number]>({ type: 'string', enum: [...values], description, ...extra });
/** a list of strings, or one string (read as a list of one, validate.ts coerceParams) */
export const strOrList = (description: string, extra: Meta = {}): TUnsafe<string | string[]> =>
  Type.Unsafe<string | string[]>({ type: ['string', 'array'], items: { type: 'string' }, description, ...extra });
/** any JSON value */
export const any = (description: string, extra: Meta = {}): TUnsafe<unknown> => Type.Unsafe<unknown>({ description, ...extra });
/**
 * A schema the builders cannot spell (a union of JSON types, a map of free keys...), with its type
 * T written beside it: keep T and the schema in one expression.
 */
export const typed = <T>(schema: object): TUnsafe<T> => Type.Unsafe<T>(schema);

/** JSON Schema keys of an object schema besides its properties (`required` also makes the keys required in the type). */
export interface ObjectExtra<R extends string> {
  required?: readonly R[];
  anyOf?: object[];
  oneOf?: object[];
  allOf?: object[];
  not?: object;
  if?: object;
  then?: object;
  else?: object;
  minProperties?: number;
  description?: string;
  additionalProperties?: boolean | object;
  propertyNames?: object;
}

type Props = Record<string, TSchema>;
/** the properties, optional unless named in R */
export type WithRequired<P extends Props, R extends PropertyKey> = { [K in keyof P]: K extends R ? P[K] : TOptional<P[K]> };

/** An object of known parameters (additionalProperties: false unless `extra` says otherwise). */
export function object<P extends Props, const R extends keyof P & string = never>(properties: P, extra: ObjectExtra<R> = {}): TObject<WithRequired<P, R>> {
  const schema = { type: 'object', properties, additionalProperties: false, ...extra };
  return Type.Unsafe(schema) as unknown as TObject<WithRequired<P, R>>;
}

/** mode/owner/group, the attributes of a file */
export const attrProps = {
  mode: typed<string | number>({
    type: ['string', 'integer'],
    pattern: MODE_PATTERN,
    minimum: 0,
    maximum: 7777,
    description:
      "Permissions: octal ('0644', '644') or symbolic ('u=rw,g=r,o=r', 'a+X'), compared with the current mode. A YAML number is read as octal digits (0644 and 644 both mean rw-r--r--); prefer quoted strings.",
  }),
  owner: typed<string | number>({ type: ['string', 'integer'], description: 'Owner: a user name or a numeric uid.' }),
  group: typed<string | number>({ type: ['string', 'integer'], description: 'Group: a group name or a numeric gid.' }),
};

export const backupProp = bool(
  'Copy the old file to PATH.YYYYMMDDTHHMMSS.kvplay~ (mode kept) before replacing it; the result has backup_file. An existing file under /etc is ALWAYS backed up (kvplay safety rule).',
  false,
);

export const validateProp = str(
  "Command run on the new content before it replaces the file; %s is replaced by the (quoted) temporary file, e.g. 'visudo -cf %s'. On failure the original file stays untouched.",
  { pattern: '%s' },
);

/** "one of these keys is required" */
export const requireOne = (...keys: string[]) => ({ anyOf: keys.map((k) => ({ required: [k] })) });
/** "these keys are mutually exclusive" */
export const exclusive = (a: string, b: string) => ({ not: { required: [a, b] } });
