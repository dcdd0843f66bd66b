/**
 * Large stdin payloads (file contents of copy/template, guest images...) go over SFTP instead of
 * base64 through the shell: written as the login user to a 0600 temp file, then fed to the
 * command as its stdin and removed. Small payloads stay inline (one round trip, no extra channel).
 * Structural types only: ssh.ts stays the one file that imports ssh2.
 */
import { randomBytes } from 'node:crypto';
import { q } from './quote.js';

/** Payloads at least this big travel over SFTP. */
export const SFTP_THRESHOLD = 256 * 1024;

interface WriteStreamLike {
  on(ev: 'close' | 'error', fn: (e?: Error) => void): unknown;
  end(data: Buffer): unknown;
}
export interface SftpLike {
  createWriteStream(path: string, opts: { mode: number; flags: string }): WriteStreamLike;
  end(): void;
}
export interface SftpClientLike {
  sftp(cb: (err: Error | undefined, sftp: SftpLike) => void): unknown;
}

export class SftpUploader {
  private session?: Promise<SftpLike>;
  /** uploads done (tests assert the SFTP path was taken) */
  uploads = 0;

  constructor(private readonly client: () => SftpClientLike) {}

  private open(): Promise<SftpLike> {
    this.session ??= new Promise<SftpLike>((resolve, reject) => {
      this.client().sftp((err, s) => (err ? reject(err) : resolve(s)));
    }).catch((e) => {
      this.session = undefined;
      throw e;
    });
    return this.session;
  }

  /** Write `data` to a fresh 0600 file under /tmp; returns its path. */
  async upload(data: Buffer): Promise<string> {
    const sftp = await this.open();
    const path = `/tmp/.kvplay-in-${randomBytes(9).toString('hex')}`;
    await new Promise<void>((resolve, reject) => {
      const ws = sftp.createWriteStream(path, { mode: 0o600, flags: 'wx' });
      ws.on('error', (e) => reject(e));
      ws.on('close', () => resolve());
      ws.end(data);
    });
    this.uploads++;
    return path;
  }

  close(): void {
    void this.session?.then((s) => s.end()).catch(() => undefined);
    this.session = undefined;
  }
}

/** The command reading the uploaded file as its stdin, removing it afterwards (also on failure). */
export function withStdinFile(body: string, path: string): string {
  return `( ${body}\n) < ${q(path)}; __kv_s=$?; rm -f ${q(path)}; exit $__kv_s`;
}
