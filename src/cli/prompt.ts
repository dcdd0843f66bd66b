/** Read a secret from the terminal without echoing it. */
export async function askHidden(prompt: string, noTerminal = '-K needs a terminal; set KVPLAY_BECOME_PASSWORD instead'): Promise<string> {
  const { stdin, stderr } = process;
  if (!stdin.isTTY) throw new Error(noTerminal);
  // echo off before the prompt shows: an answer typed (or sent) right after it is never echoed
  stdin.setRawMode(true);
  stderr.write(prompt);
  stdin.resume();
  return new Promise((resolve) => {
    let buf = '';
    const onData = (d: Buffer) => {
      for (const ch of d.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off('data', onData);
          stderr.write('\n');
          resolve(buf);
          return;
        }
        if (ch === '\u0003') process.exit(130);
        if (ch === '\u007f') buf = buf.slice(0, -1);
        else buf += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** What was typed after the line askLine returned (type-ahead), and whether stdin has ended. */
const typed = { buf: '', ended: false };

/**
 * Read one line from the terminal, echoed as typed (--step's question). Lines typed ahead are
 * kept for the next call; at end of input (Ctrl-D) the answer is ''.
 */
export async function askLine(prompt: string, noTerminal = 'this question needs a terminal'): Promise<string> {
  const { stdin, stderr } = process;
  if (!stdin.isTTY) throw new Error(noTerminal);
  stderr.write(prompt);
  return new Promise((resolve) => {
    const finish = (line: string) => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.pause();
      resolve(line.replace(/\r$/, ''));
    };
    const take = (): boolean => {
      const i = typed.buf.indexOf('\n');
      if (i < 0) return false;
      const line = typed.buf.slice(0, i);
      typed.buf = typed.buf.slice(i + 1);
      finish(line);
      return true;
    };
    const onData = (d: Buffer) => {
      typed.buf += d.toString('utf8');
      take();
    };
    const onEnd = () => {
      typed.ended = true;
      const rest = typed.buf;
      typed.buf = '';
      finish(rest);
    };
    if (take()) return;
    if (typed.ended) return finish('');
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.resume();
  });
}
