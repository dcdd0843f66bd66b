/**
 * --report-html FILE and `kvplay report RUN.json --html FILE`: the run as one self-contained HTML
 * page (inline CSS, JS and SVG; no network, no external fonts; a Content-Security-Policy that
 * allows only the page's own style and script): header and totals, play recap, failures, plays
 * and tasks, a timeline per host, an ARA-like results table (filters by status, host, text; a
 * click shows a result's details), diffs, migration charts, warnings.
 *
 * Secrets: the page is built from events that are already redacted (the reporter's FanOut, or a
 * --report file written from them); every value additionally goes through the redactor's text
 * net before it is HTML-escaped (src/report/html-parts.ts `makeEsc`).
 */
import { createHash } from 'node:crypto';
import type { Reporter, RunEvent } from './events.js';
import { stamp, type StampedEvent } from './json.js';
import { structuredCloneSafe, writeFileAtomic } from './file.js';
import { buildRunView, type RunView } from './html-model.js';
import { diffsSection, failuresSection, headerSection, makeEsc, notesSection, playsSection, recapSection, resultsSection, type Esc } from './html-parts.js';
import { migrationsSection, timelineSection } from './html-svg.js';
import { CSS, JS } from './html-assets.js';

export interface HtmlOptions {
  /** the redactor's text net (src/report/redact.ts Redactor.text), applied to every value */
  net?: (s: string) => string;
  /** when the page was made (footer); default now */
  now?: Date;
}

const sha256 = (s: string) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;
const CSP = `default-src 'none'; style-src ${sha256(CSS)}; script-src ${sha256(JS)}; img-src data:; base-uri 'none'; form-action 'none'`;

/** The page for a run's events (stamped with `ts` for the timeline; already redacted). */
export function renderHtml(events: ReadonlyArray<RunEvent & { ts?: string }>, opts: HtmlOptions = {}): string {
  return renderView(buildRunView(events), makeEsc(opts.net), opts.now ?? new Date());
}

function renderView(v: RunView, e: Esc, now: Date): string {
  const sections: Array<[string, string, string]> = [
    ['recap', 'Recap', recapSection(v, e)],
    ['failures', 'Failures', failuresSection(v, e)],
    ['plays', 'Plays', playsSection(v, e)],
    ['timeline', 'Timeline', timelineSection(v, e)],
    ['results', 'Results', resultsSection(v, e)],
    ['diffs', 'Diffs', diffsSection(v, e)],
    ['migrations', 'Migrations', migrationsSection(v, e)],
    ['notes', 'Notes', notesSection(v, e)],
  ];
  const present = sections.filter(([, , html]) => html);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>kvplay: ${e(v.playbook ?? 'run')}${v.exitCode !== null && v.exitCode !== 0 ? ` (exit ${e(v.exitCode)})` : ''}</title>
<style>${CSS}</style>
</head>
<body>
${headerSection(v, e)}
<nav>${present.map(([id, label]) => `<a href="#${id}">${label}</a>`).join('')}</nav>
${present.map(([, , html]) => html).join('\n')}
<footer>made by kvplay on ${e(now.toISOString())}</footer>
<script>${JS}</script>
</body>
</html>
`;
}

/** --report-html FILE: collects the (redacted) events and writes the page atomically at close. */
export class HtmlReportWriter implements Reporter {
  private readonly events: StampedEvent[] = [];
  private closing: Promise<void> | null = null;

  constructor(
    readonly file: string,
    private readonly net?: (s: string) => string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  emit(ev: RunEvent): void {
    if (this.closing) return;
    this.events.push(stamp(structuredCloneSafe(ev), this.now));
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const html = renderHtml(this.events, { net: this.net, now: this.now() });
      try {
        await writeFileAtomic(this.file, html);
      } catch (e) {
        throw new Error(`could not write HTML report ${this.file}: ${(e as Error).message}`);
      }
    })();
    return this.closing;
  }
}
