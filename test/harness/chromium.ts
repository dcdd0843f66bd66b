/**
 * A real headless Chromium (Debian's /usr/bin/chromium) driven over the DevTools protocol on a
 * pipe (--remote-debugging-pipe: JSON messages ended by NUL on fds 3 and 4), with no npm
 * dependency. It records console errors, uncaught exceptions, browser log errors (CSP violations,
 * failed loads) and every network request, evaluates expressions in the page, clicks, and takes
 * screenshots. Gate tests on it with requires({ tools: ['chromium'] }) (test/harness/gate.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

export const CHROMIUM = process.env.KVPLAY_TEST_CHROMIUM || 'chromium';

/** Flags for a headless, sandbox-less (root), quiet Chromium that contacts nothing by itself. */
export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--no-default-browser-check',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-extensions',
  '--disable-default-apps', '--metrics-recording-only', '--mute-audio', '--hide-scrollbars',
];

interface Pending {
  resolve(v: Record<string, unknown>): void;
  reject(e: Error): void;
}

/** The fields of the DevTools events recorded (Runtime, Log, Network). */
interface DevToolsEvent {
  exceptionDetails?: { text?: string; exception?: { description?: string } };
  type?: string;
  args?: Array<{ value?: unknown; description?: string }>;
  entry?: { level?: string; source?: string; text?: string; url?: string };
  request?: { url?: string };
}

export interface PageProblems {
  /** console.error/assert calls, uncaught exceptions, browser log entries of level error */
  errors: string[];
  /** URLs the page requested (file: and data: included) */
  requests: string[];
}

export class Browser {
  private id = 0;
  private buf = '';
  private readonly pending = new Map<number, Pending>();
  private readonly listeners: Array<(m: Record<string, unknown>) => void> = [];
  private session = '';
  readonly problems: PageProblems = { errors: [], requests: [] };

  private constructor(private readonly proc: ChildProcess, private readonly dir: string, private readonly stderr: () => string) {
    const out = proc.stdio[4] as Readable;
    out.on('data', (d: Buffer) => {
      this.buf += d.toString('utf8');
      let i: number;
      while ((i = this.buf.indexOf('\0')) >= 0) {
        const msg = JSON.parse(this.buf.slice(0, i)) as Record<string, unknown>;
        this.buf = this.buf.slice(i + 1);
        this.dispatch(msg);
      }
    });
    proc.on('exit', () => {
      for (const p of this.pending.values()) p.reject(new Error(`chromium exited: ${this.stderr().slice(-2000)}`));
      this.pending.clear();
    });
  }

  /** Start Chromium with a fresh profile and attach to its page. */
  static async launch(): Promise<Browser> {
    const dir = mkdtempSync(join(tmpdir(), 'kvplay-chromium-'));
    const proc = spawn(CHROMIUM, [...CHROMIUM_FLAGS, `--user-data-dir=${dir}`, '--remote-debugging-pipe', 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
    let err = '';
    proc.stderr!.on('data', (d) => (err = (err + d).slice(-20_000)));
    const b = new Browser(proc, dir, () => err);
    const targets = (await b.send('Target.getTargets')) as { targetInfos: Array<{ targetId: string; type: string }> };
    const page = targets.targetInfos.find((t) => t.type === 'page');
    const targetId = page ? page.targetId : ((await b.send('Target.createTarget', { url: 'about:blank' })) as { targetId: string }).targetId;
    b.session = ((await b.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string }).sessionId;
    b.listeners.push((m) => b.record(m));
    for (const d of ['Runtime.enable', 'Log.enable', 'Page.enable', 'Network.enable']) await b.send(d, {}, b.session);
    await b.send('Emulation.setDeviceMetricsOverride', { width: 1200, height: 900, deviceScaleFactor: 1, mobile: false }, b.session);
    return b;
  }

  private dispatch(msg: Record<string, unknown>): void {
    const id = msg.id as number | undefined;
    if (id !== undefined && this.pending.has(id)) {
      const p = this.pending.get(id)!;
      this.pending.delete(id);
      if (msg.error) p.reject(new Error(`DevTools: ${JSON.stringify(msg.error)}`));
      else p.resolve((msg.result ?? {}) as Record<string, unknown>);
      return;
    }
    for (const l of [...this.listeners]) l(msg);
  }

  private record(m: Record<string, unknown>): void {
    const p = (m.params ?? {}) as DevToolsEvent;
    switch (m.method) {
      case 'Runtime.exceptionThrown':
        this.problems.errors.push(`exception: ${p.exceptionDetails?.exception?.description ?? p.exceptionDetails?.text}`);
        break;
      case 'Runtime.consoleAPICalled':
        if (p.type === 'error' || p.type === 'assert') this.problems.errors.push(`console.${p.type}: ${(p.args ?? []).map((a) => a.value ?? a.description).join(' ')}`);
        break;
      case 'Log.entryAdded':
        if (p.entry?.level === 'error') this.problems.errors.push(`log (${p.entry.source}): ${p.entry.text} ${p.entry.url ?? ''}`);
        break;
      case 'Network.requestWillBeSent':
        this.problems.requests.push(String(p.request?.url));
        break;
    }
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const id = ++this.id;
    const stdin = this.proc.stdio[3] as Writable;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`DevTools ${method}: no answer in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: (v) => (clearTimeout(timer), resolve(v)), reject: (e) => (clearTimeout(timer), reject(e)) });
      stdin.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    });
  }

  private waitFor(method: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${method} in ${timeoutMs} ms`)), timeoutMs);
      const l = (m: Record<string, unknown>) => {
        if (m.method !== method) return;
        clearTimeout(timer);
        this.listeners.splice(this.listeners.indexOf(l), 1);
        resolve((m.params ?? {}) as Record<string, unknown>);
      };
      this.listeners.push(l);
    });
  }

  /** Load a URL (file://...) and wait for its load event; the problems are reset first. */
  async open(url: string): Promise<void> {
    this.problems.errors.length = 0;
    this.problems.requests.length = 0;
    const loaded = this.waitFor('Page.loadEventFired');
    const r = await this.send('Page.navigate', { url }, this.session);
    if (r.errorText) throw new Error(`navigate ${url}: ${String(r.errorText)}`);
    await loaded;
  }

  /** The value of a JS expression in the page (awaited if it is a promise). */
  async eval<T = unknown>(expression: string): Promise<T> {
    const r = (await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, this.session)) as { result?: { value?: T }; exceptionDetails?: { text?: string; exception?: { description?: string } } };
    if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result?.value as T;
  }

  /** A real mouse click at the centre of the first element matching `selector`. */
  async click(selector: string): Promise<void> {
    const box = await this.eval<{ x: number; y: number } | null>(`(() => { const el = document.querySelector(${JSON.stringify(selector)}); if (!el) return null; el.scrollIntoView({ block: 'center' }); const r = el.getBoundingClientRect(); return { x: r.left + r.width / 2, y: r.top + r.height / 2 }; })()`);
    if (!box) throw new Error(`no element ${selector}`);
    for (const type of ['mousePressed', 'mouseReleased']) await this.send('Input.dispatchMouseEvent', { type, x: box.x, y: box.y, button: 'left', clickCount: 1 }, this.session);
  }

  /** A PNG of the whole page, written to `file`. */
  async screenshot(file: string): Promise<void> {
    const r = (await this.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true }, this.session)) as { data: string };
    writeFileSync(file, Buffer.from(r.data, 'base64'));
  }

  async close(): Promise<void> {
    await this.send('Browser.close').catch(() => undefined);
    await new Promise<void>((res) => {
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) return res();
      const t = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
      this.proc.once('exit', () => (clearTimeout(t), res()));
    });
    rmSync(this.dir, { recursive: true, force: true });
  }
}
