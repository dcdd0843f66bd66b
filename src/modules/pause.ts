/** pause: wait a number of seconds/minutes on the controller, or (in a terminal only) until Enter. */
import { clockMs, pyDateTimeStr, pyFloatStr } from '../util/pytime.js';
import { createInterface } from 'node:readline';
import { InputError } from '../util/errors.js';
import type { Module } from '../engine/module/types.js';
import { bool, num, object, str, type Static } from '../engine/module/schema.js';

export type PauseParams = Static<typeof schema>;

const sleepMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Hook for tests/the engine: whether a terminal can answer a prompt, and how to ask. */
export const pauseIO = {
  isTTY: (): boolean => !!process.stdin.isTTY,
  ask: (prompt: string): Promise<string> =>
    new Promise((resolve) => {
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      rl.question(prompt, (a) => { rl.close(); resolve(a); });
    }),
};

const schema = object({
  seconds: num('Seconds to wait.', { minimum: 0 }),
  minutes: num('Minutes to wait.', { minimum: 0 }),
  prompt: str('Text shown while waiting; without seconds/minutes, kvplay waits for Enter (terminal only) and registers user_input.'),
  echo: bool('Show what is typed at the prompt.', true),
});

export const pause: Module<PauseParams> = {
  name: 'pause',
  doc: 'Wait seconds/minutes. Without them it waits for Enter, which needs a terminal (an error otherwise).',
  schema,
  async action(p, ctx) {
    const start = clockMs();
    // Ansible's pause result: rc, stdout ("Paused for 1.0 seconds"), start/stop (str(datetime)), delta (whole seconds)
    const finish = (user_input: string) => {
      const stop = clockMs();
      const s = (stop - start) / 1000;
      const minutes = p.minutes !== undefined;
      const stdout = `Paused for ${pyFloatStr(Math.round((minutes ? s / 60 : s) * 100) / 100)} ${minutes ? 'minutes' : 'seconds'}`;
      return {
        changed: false,
        reason: user_input ? `input: ${user_input}` : `paused ${s.toFixed(1)}s`,
        data: { rc: 0, stderr: '', stdout, start: pyDateTimeStr(start), stop: pyDateTimeStr(stop), delta: Math.floor(s), user_input, echo: p.echo !== false },
      };
    };
    if (p.seconds === undefined && p.minutes === undefined) {
      if (!pauseIO.isTTY()) {
        throw new InputError(
          'pause without seconds or minutes waits for Enter, but kvplay has no terminal',
          undefined,
          'give seconds: or minutes:, or run kvplay interactively in a terminal',
        );
      }
      const answer = await pauseIO.ask(`${p.prompt ?? 'Press enter to continue'}: `);
      return finish(answer);
    }
    const total = ((p.minutes ?? 0) * 60 + (p.seconds ?? 0)) * 1000;
    if (p.prompt) ctx.log(p.prompt);
    const end = Date.now() + total;
    while (Date.now() < end) {
      const left = end - Date.now();
      ctx.progress(`paused, ${Math.ceil(left / 1000)}s left`, total ? 1 - left / total : 1);
      await sleepMs(Math.min(1000, left));
    }
    return finish('');
  },
};
