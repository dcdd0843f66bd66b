/**
 * A minimal cpio "newc" (SVR4, no CRC) archive writer: what the Linux kernel unpacks as an
 * initramfs. Pure: entries in, bytes out. Device nodes can be written without root (the
 * kernel creates them while unpacking), which is why the guest builder needs no fakeroot.
 */

export type CpioEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; data: Buffer | string; mode?: number }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'char'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

function header(o: { ino: number; mode: number; nlink: number; size: number; rmaj?: number; rmin?: number; nameLen: number; mtime: number }): string {
  return (
    '070701' +
    [o.ino, o.mode, 0, 0, o.nlink, o.mtime, o.size, 0, 0, o.rmaj ?? 0, o.rmin ?? 0, o.nameLen, 0].map(hex8).join('')
  );
}

/** Archive the entries in order (parents before children). Paths are relative, without a leading '/'. */
export function cpioNewc(entries: CpioEntry[], mtime = 0): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  const push = (name: string, h: Omit<Parameters<typeof header>[0], 'nameLen' | 'ino' | 'mtime'>, data: Buffer) => {
    const nameBuf = Buffer.from(name + '\0', 'utf8');
    const head = Buffer.from(header({ ...h, ino: ino++, nameLen: nameBuf.length, mtime }), 'ascii');
    parts.push(head, nameBuf, Buffer.alloc(pad4(head.length + nameBuf.length)));
    parts.push(data, Buffer.alloc(pad4(data.length)));
  };
  for (const e of entries) {
    const name = e.path.replace(/^\/+/, '');
    if (!name || name.split('/').includes('..')) throw new Error(`cpio: bad path ${e.path}`);
    switch (e.type) {
      case 'dir':
        push(name, { mode: S_IFDIR | (e.mode ?? 0o755), nlink: 2, size: 0 }, Buffer.alloc(0));
        break;
      case 'file': {
        const d = typeof e.data === 'string' ? Buffer.from(e.data, 'utf8') : e.data;
        push(name, { mode: S_IFREG | (e.mode ?? 0o644), nlink: 1, size: d.length }, d);
        break;
      }
      case 'symlink': {
        const d = Buffer.from(e.target, 'utf8');
        push(name, { mode: S_IFLNK | 0o777, nlink: 1, size: d.length }, d);
        break;
      }
      case 'char':
        push(name, { mode: S_IFCHR | (e.mode ?? 0o600), nlink: 1, size: 0, rmaj: e.major, rmin: e.minor }, Buffer.alloc(0));
        break;
    }
  }
  push('TRAILER!!!', { mode: 0, nlink: 1, size: 0 }, Buffer.alloc(0));
  return Buffer.concat(parts);
}

/** Pure reader for tests: the names, modes and contents of a newc archive. */
export function readCpioNewc(buf: Buffer): { name: string; mode: number; data: Buffer; rmaj: number; rmin: number }[] {
  const out: { name: string; mode: number; data: Buffer; rmaj: number; rmin: number }[] = [];
  let off = 0;
  for (;;) {
    const magic = buf.toString('ascii', off, off + 6);
    if (magic !== '070701') throw new Error(`cpio: bad magic at ${off}`);
    const f = (i: number) => parseInt(buf.toString('ascii', off + 6 + i * 8, off + 14 + i * 8), 16);
    const mode = f(1);
    const size = f(6);
    const rmaj = f(9);
    const rmin = f(10);
    const nameLen = f(11);
    const nameStart = off + 110;
    const name = buf.toString('utf8', nameStart, nameStart + nameLen - 1);
    let p = nameStart + nameLen;
    p += pad4(p);
    const data = buf.subarray(p, p + size);
    p += size;
    p += pad4(p);
    off = p;
    if (name === 'TRAILER!!!') break;
    out.push({ name, mode, data, rmaj, rmin });
  }
  return out;
}
