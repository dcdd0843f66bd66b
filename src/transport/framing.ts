/**
 * Framing for the persistent remote shell: the scripts written to the shell's stdin, and the
 * scanners that cut the shell's stdout/stderr streams back into per-command results.
 *
 * One command on the shell:
 *   __kv_c='<cmd, quoted>'
 *   ( eval "$__kv_c" ) </dev/null            # or: base64 -d <<'DELIM' | ( eval "$__kv_c" )
 *   __kv_rc=$?
 *   printf '%s %s\n' MARKER "$__kv_rc"; printf '%s' MARKER >&2
 * stdout = every byte before MARKER on stdout (the marker is printed without a leading newline,
 * so nothing is added to or removed from the command's output); stderr likewise.
 * `eval` inside a subshell: a syntax error or `exit` in the command ends only the subshell,
 * never the persistent shell. `</dev/null` keeps the command from eating the script on stdin.
 *
 * execMany writes several such scripts at once (one round trip); the shell runs them in order
 * and each stream is cut at its sequence of markers.
 *
 * With an output slot N (exec(): commands that may start background processes), the command
 * writes to its own files instead of the channel (remote-sh.ts, outputPrelude):
 *   __kv_io N; eval "( eval \"\$__kv_c\" )$__kv_r" </dev/null; __kv_rc=$?; __kv_out
 * Why: a background child (`nohup mydaemon &`, `sleep 1; echo late &`) inherits the command's
 * stdout/stderr. On the shared channel its later output would land in a LATER command's result.
 * Chosen behaviour: a command's output is what it (and its children) wrote before its shell
 * exited and the files were copied to the channel; what a child writes after that goes to a file
 * nobody reads (removed with the dir) and never into another command's result. Unlike Ansible
 * (whose pipe breaks when the task ends) the child does not get SIGPIPE; redirect a daemon's
 * output as with Ansible. Cost: no extra process when the command printed nothing, one `cat`
 * per non-empty stream otherwise. Known difference to a pipe: `>/dev/stderr` (not `>&2`) in the
 * command reopens the file and drops what the command wrote to that stream before. Probes
 * (execMany) keep the direct channel: kvplay writes them, and they start nothing that outlives
 * them. A timed-out command's partial output is read from its files when its tree is killed.
 *
 * Pure code (no ssh2): unit-testable against a local sh.
 */
import { randomBytes } from 'node:crypto';
import { q } from '../util/quote.js';

export function randomToken(bytes = 16): string {
  return randomBytes(bytes).toString('hex');
}

/** A marker that cannot occur in normal output by accident. */
export function newMarker(): string {
  return `__KVPLAY_${randomToken()}__`;
}

/** Base64 in 76-column lines (what base64 -d expects comfortably). */
function base64Lines(data: Buffer): string {
  const b = data.toString('base64');
  let out = '';
  for (let i = 0; i < b.length; i += 76) out += b.slice(i, i + 76) + '\n';
  return out;
}

/**
 * The script that runs one command and prints the end markers. With `slot`, the command's output
 * goes through its own files (see above; the shell must have run remote-sh.outputPrelude).
 */
export function commandScript(cmd: string, marker: string, stdin?: string | Buffer, slot?: number): string {
  let s = `__kv_c=${q(cmd)}\n`;
  const run = slot === undefined ? '( eval "$__kv_c" )' : `eval "( eval \\"\\$__kv_c\\" )$__kv_r"`;
  if (slot !== undefined) s += `__kv_io ${slot}\n`;
  if (stdin === undefined) {
    s += `${run} </dev/null\n`;
  } else {
    const data = typeof stdin === 'string' ? Buffer.from(stdin, 'utf8') : stdin;
    // Underscores never occur in base64, so the delimiter cannot collide with a data line.
    const delim = `KVPLAY_EOF_${randomToken(8)}`;
    s += `base64 -d <<'${delim}' | ${run}\n${base64Lines(data)}${delim}\n`;
  }
  s += `__kv_rc=$?\n${slot === undefined ? '' : '__kv_out\n'}printf '%s %s\\n' '${marker}' "$__kv_rc"; printf '%s' '${marker}' >&2\n`;
  return s;
}

/**
 * Accumulates one stream and finds the marker without rescanning everything on each chunk
 * (5 MB outputs arrive in thousands of chunks). With `trailerLine`, also waits for the rest of
 * the marker's line (the exit code on stdout).
 */
export class MarkerScanner {
  private chunks: Buffer[] = [];
  private size = 0;
  private tail = Buffer.alloc(0);
  private markerAt = -1;
  private readonly marker: Buffer;

  constructor(marker: string, private readonly trailerLine: boolean) {
    this.marker = Buffer.from(marker, 'latin1');
  }

  push(chunk: Buffer): void {
    if (this.markerAt < 0) {
      const window = this.tail.length ? Buffer.concat([this.tail, chunk]) : chunk;
      const i = window.indexOf(this.marker);
      if (i >= 0) this.markerAt = this.size - this.tail.length + i;
      else this.tail = Buffer.from(window.subarray(Math.max(0, window.length - (this.marker.length - 1))));
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** Everything received so far (for partial output on timeout). */
  partial(): Buffer {
    const all = Buffer.concat(this.chunks);
    return this.markerAt >= 0 ? all.subarray(0, this.markerAt) : all;
  }

  /**
   * null until complete; then the bytes before the marker, the trailer text (e.g. " 0") and
   * `rest`: bytes after the marker (and its line) that belong to the next command of a batch.
   */
  result(): { body: Buffer; trailer: string; rest: Buffer } | null {
    if (this.markerAt < 0) return null;
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    const all = this.chunks[0];
    const after = all.subarray(this.markerAt + this.marker.length);
    if (!this.trailerLine) return { body: all.subarray(0, this.markerAt), trailer: '', rest: after };
    const nl = after.indexOf(0x0a);
    if (nl < 0) return null;
    return { body: all.subarray(0, this.markerAt), trailer: after.subarray(0, nl).toString('latin1'), rest: after.subarray(nl + 1) };
  }
}
