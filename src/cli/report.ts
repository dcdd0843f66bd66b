/**
 * `kvplay report RUN.json --html FILE`: a --report file (its events, already redacted when the run
 * wrote them) as the same self-contained HTML page --report-html writes. `--html -` prints it.
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { InputError, InputErrors } from '../util/errors.js';
import { parseYaml } from '../yaml/load.js';
import { createRedactor, REPORT_VERSION } from '../report/index.js';
import { renderHtml } from '../report/html.js';
import { reportEvents } from '../report/html-model.js';
import { writeFileAtomic } from '../report/file.js';
import type { StampedEvent } from '../report/json.js';

const REPORT_USAGE = `usage: kvplay report RUN.json --html FILE

Turns a --report file (the whole run as JSON) into one self-contained HTML page (FILE, or - for stdout).`;

/** Where JSON.parse failed: its position when the message has one, else where the YAML parser (a JSON superset) stops. */
function errorAt(text: string, msg: string, file: string): { line: number; col: number } {
  const pos = Number(/position (\d+)/.exec(msg)?.[1] ?? NaN);
  if (Number.isFinite(pos)) {
    const before = text.slice(0, pos);
    return { line: before.split('\n').length, col: pos - before.lastIndexOf('\n') };
  }
  try {
    parseYaml(text, file);
  } catch (e) {
    const loc = (e instanceof InputErrors ? e.errors[0] : e instanceof InputError ? e : undefined)?.loc;
    if (loc) return { line: loc.line, col: loc.col };
  }
  return { line: 1, col: 1 };
}

/** Parse a --report file; an InputError (file:line:col and a hint) when it is not one. */
export function readReport(file: string): { events: StampedEvent[]; version: number } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: '<command line>', line: 1, col: 1 }, 'give the path of a file written by kvplay --report FILE');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    throw new InputError(`not valid JSON: ${msg}`, { file, ...errorAt(text, msg, file) }, 'give a file written by kvplay --report FILE');
  }
  const version = doc && typeof doc === 'object' ? (doc as { kvplayReport?: unknown }).kvplayReport : undefined;
  const events = reportEvents(doc);
  if (typeof version !== 'number' || !events) {
    throw new InputError('not a kvplay report: no "kvplayReport" version and "events" list', { file, line: 1, col: 1 }, 'give a file written by kvplay --report FILE (a --json event stream is not one)');
  }
  return { events, version };
}

export async function reportMain(argv: string[]): Promise<number> {
  let values: { html?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { html: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (e) {
    process.stderr.write(`ERROR! ${(e as Error).message}\n${REPORT_USAGE}\n`);
    return 1;
  }
  if (values.help) {
    process.stdout.write(REPORT_USAGE + '\n');
    return 0;
  }
  if (positionals.length !== 1 || !values.html) {
    process.stderr.write(`ERROR! ${positionals.length !== 1 ? 'give one report file' : 'nothing to do: give --html FILE'}\n${REPORT_USAGE}\n`);
    return 1;
  }
  try {
    const { events, version } = readReport(positionals[0]);
    if (version > REPORT_VERSION) process.stderr.write(`[WARNING]: ${positionals[0]} is a version ${version} report (this kvplay knows version ${REPORT_VERSION}): what it does not know is left out\n`);
    // the events were redacted when the run wrote them; the become password of this environment is masked too
    const redact = createRedactor([process.env.KVPLAY_BECOME_PASSWORD ?? '']);
    const html = renderHtml(redact(events) as StampedEvent[], { net: redact.text });
    if (values.html === '-') process.stdout.write(html);
    else {
      await writeFileAtomic(values.html, html);
      process.stdout.write(`wrote ${values.html}\n`);
    }
    return 0;
  } catch (e) {
    process.stderr.write(`ERROR! ${e instanceof InputError ? e.format() : (e as Error).message}\n`);
    return 1;
  }
}
