/**
 * Lab tests need root, Linux and the lab's tools. Where those are missing, the tests are
 * registered as SKIPPED (counted as skipped by test/run.mjs, never as passed), with the reason.
 */
import { test } from 'uvu';
import { preflight } from '../../src/lab/sys.js';

function why(): string {
  try {
    preflight();
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}

/** '' when the lab can run here, else the reason it cannot. */
export const labSkipReason = why();

/** `test`, or `test.skip` with the reason in the name when the lab cannot run here. */
export function labTest(name: string, fn: () => Promise<void> | void): void {
  if (labSkipReason) test.skip(`${name} (lab unavailable: ${labSkipReason})`, fn);
  else test(name, fn);
}
