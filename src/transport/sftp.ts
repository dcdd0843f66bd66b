/**
 * Large stdin payloads (file contents of copy/template, guest images...) go over SFTP instead of
 * base64 through the shell: written as the login user to a 0600 file in the connection's private
 * 0700 staging dir (remote-sh.ts: `/tmp/.kvplay-in-<sshd pid>-<random>`), then fed to the command
 * as its stdin, which unlinks it as soon as it has it open. The payload (maybe a rendered template
 * with secrets) is thus on disk, never readable by others, only while it travels; after a kill
 * of kvplay mid-transfer, the next connection of the user removes the dir of the dead one.
 * Small payloads stay inline (one round trip, no extra channel).
 * Structural types only: ssh.ts and ssh-connect.ts stay the files that import ssh2.
 */
import { randomBytes } from 'node:crypto';
import { q } from '../util/quote.js';
import { STAGE_PREFIX } from './remote-sh.js';

/** Payloads at least this big travel over SFTP. */
export const SFTP_THRESHOLD = 256 * 1024;

interface WriteStreamLike {
  on(ev: 'close' | 'error', fn: (e?: Error) => void): unknown;
  end(data: Buffer): unknown;
}
type Done = (err?: Error | null) => void;
export interface SftpLike {
  createWriteStream(path: string, opts: { mode: number; flags: string }): WriteStreamLike;
  mkdir(path: string, attrs: { mode: number }, cb: Done): unknown;
  rmdir(path: string, cb: Done): unknown;
  unlink(path: string, cb: Done): unknown;
  end(): void;
}
export interface SftpClientLike {
  sftp(cb: (err: Error | undefined, sftp: SftpLike) => void): unknown;
}

export class SftpUploader {
  private session?: Promise<SftpLike>;
  /** uploads done (tests assert the SFTP path was taken) */
  uploads = 0;

  private dir?: Promise<string>;

  /** `connPid`: the connection's sshd process on the host (0: unknown, then no SFTP). */
  constructor(private readonly client: () => SftpClientLike, private readonly connPid: () => number) {}

  private open(): Promise<SftpLike> {
    this.session ??= new Promise<SftpLike>((resolve, reject) => {
      this.client().sftp((err, s) => (err ? reject(err) : resolve(s)));
    }).catch((e) => {
      this.session = undefined;
      throw e;
    });
    return this.session;
  }

  /** The connection's staging dir, made once (mkdir fails on an existing name: it is ours, 0700). */
  private stagingDir(sftp: SftpLike): Promise<string> {
    this.dir ??= new Promise<string>((resolve, reject) => {
      const pid = this.connPid();
      if (!(pid > 1)) return reject(new Error('the connection\'s sshd process is unknown'));
      const dir = `${STAGE_PREFIX}${pid}-${randomBytes(9).toString('hex')}`;
      sftp.mkdir(dir, { mode: 0o700 }, (err) => (err ? reject(err) : resolve(dir)));
    }).catch((e) => {
      this.dir = undefined;
      throw e;
    });
    return this.dir;
  }

  /** Write `data` to a fresh 0600 file in the staging dir; returns its path. */
  async upload(data: Buffer): Promise<string> {
    const sftp = await this.open();
    const path = `${await this.stagingDir(sftp)}/${randomBytes(9).toString('hex')}`;
    try {
      await new Promise<void>((resolve, reject) => {
        const ws = sftp.createWriteStream(path, { mode: 0o600, flags: 'wx' });
        ws.on('error', (e) => reject(e));
        ws.on('close', () => resolve());
        ws.end(data);
      });
    } catch (e) {
      sftp.unlink(path, () => undefined); // a partial file: not left behind
      throw e;
    }
    this.uploads++;
    return path;
  }

  /** Unlink a staged file if it is still there (normally its command already did); no waiting. */
  discard(path: string): void {
    void this.session?.then((s) => s.unlink(path, () => undefined)).catch(() => undefined);
  }

  /** Remove the (by then empty) staging dir and end the session; bounded, best effort. */
  async close(): Promise<void> {
    const session = this.session;
    const dir = this.dir;
    this.session = undefined;
    this.dir = undefined;
    if (!session) return;
    const sftp = await session.catch(() => undefined);
    if (!sftp) return;
    const d = dir ? await dir.catch(() => undefined) : undefined;
    if (d) await new Promise<void>((r) => { const t = setTimeout(r, 1000); sftp.rmdir(d, () => { clearTimeout(t); r(); }); });
    try { sftp.end(); } catch { /* gone */ }
  }
}

/**
 * The command reading the uploaded file as its stdin. The file is unlinked as soon as the
 * subshell has it open (before the command runs): no copy stays on disk whatever the command does.
 */
export function withStdinFile(body: string, path: string): string {
  return `( rm -f -- ${q(path)}\n${body}\n) < ${q(path)}`;
}
