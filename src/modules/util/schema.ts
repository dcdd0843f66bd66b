/** Small JSON Schema builders shared by module schemas (docs come from the descriptions). */
import { MODE_PATTERN } from './mode.js';

export const str = (description: string, extra: object = {}) => ({ type: 'string', description, ...extra });
export const bool = (description: string, dflt?: boolean) => ({ type: 'boolean', description, ...(dflt !== undefined ? { default: dflt } : {}) });
export const int = (description: string, extra: object = {}) => ({ type: 'integer', description, ...extra });
export const num = (description: string, extra: object = {}) => ({ type: 'number', description, ...extra });
export const strList = (description: string) => ({ type: 'array', items: { type: 'string' }, description });
export const strEnum = (values: string[], description: string) => ({ type: 'string', enum: values, description });
/** any JSON value */
export const any = (description: string) => ({ description });

export function object(properties: Record<string, object>, extra: object = {}) {
  return { type: 'object', properties, additionalProperties: false, ...extra };
}

/** mode/owner/group, the attributes of a file */
export const attrProps = {
  mode: {
    type: ['string', 'integer'],
    pattern: MODE_PATTERN,
    minimum: 0,
    maximum: 7777,
    description:
      "Permissions: octal ('0644', '644') or symbolic ('u=rw,g=r,o=r', 'a+X'), compared with the current mode. A YAML number is read as octal digits (0644 and 644 both mean rw-r--r--); prefer quoted strings.",
  },
  owner: { type: ['string', 'integer'], description: 'Owner: a user name or a numeric uid.' },
  group: { type: ['string', 'integer'], description: 'Group: a group name or a numeric gid.' },
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
