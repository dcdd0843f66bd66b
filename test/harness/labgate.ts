/**
 * Lab tests need root, Linux and the lab's tools. Where those are missing, the tests are
 * registered as SKIPPED (counted as skipped by test/run.mjs, never as passed), with the reason.
 * A thin front of test/harness/gate.ts (the one gate): `labTest` is `requires({ lab: true })`.
 */
import { missing, requires } from './gate.js';

export { gatedTest, missing, requires, type GatedTest, type Needs } from './gate.js';

/** '' when the lab can run here, else the reason it cannot. */
export const labSkipReason = missing({ lab: true });

/**
 * `test`, or a stand-in registering the test as skipped with the reason when the lab cannot run
 * here; labTest.before/after register hooks that run only when the lab can.
 */
export const labTest = requires({ lab: true });
