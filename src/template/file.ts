/**
 * Template files (the template module, libvirt_domain's template src): rendered as Ansible's
 * template action does — always to a string (no native values), with the module's Jinja2 options,
 * the file's `#jinja2:` header applied and not written, line ends read as "\n" and written as
 * newline_sequence, and the source's trailing newlines kept (options.ts).
 */
import type { Loc } from '../util/errors.js';
import { Interp, Scope } from './interp.js';
import type { Ctx } from './lazy.js';
import { jinjaSource, readHeader, restoreNewlines, type TemplateOptions } from './options.js';
import { parse, toInputError } from './render.js';

export function renderFileIn(ctx: Ctx, text: string, loc: Loc | undefined, base: TemplateOptions): string {
  const h = readHeader(text, base, loc);
  const o = h.opts;
  // errors in the body are located below the header line
  const bodyLoc = loc && h.lines ? { ...loc, line: loc.line + h.lines } : loc;
  let out: string;
  try {
    const body = parse(jinjaSource(h.text, o.keepTrailingNewline), { trimBlocks: o.trimBlocks, lstripBlocks: o.lstripBlocks, newline: o.newline, ...(o.tags ? { tags: o.tags } : {}) });
    out = new Interp(ctx).run(body, new Scope());
  } catch (err) {
    throw toInputError(err, bodyLoc, 'template', true);
  }
  return restoreNewlines(text, out, o.newline);
}
