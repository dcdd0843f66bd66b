/** Read a secret from the terminal without echoing it. */
export async function askHidden(prompt: string, noTerminal = '-K needs a terminal; set KVPLAY_BECOME_PASSWORD instead'): Promise<string> {
  const { stdin, stderr } = process;
  if (!stdin.isTTY) throw new Error(noTerminal);
  stderr.write(prompt);
  stdin.setRawMode(true);
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
