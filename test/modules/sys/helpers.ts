/** Helpers for the system-module tests: recorded fixtures and a pure planning context. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecResult } from '../../../src/transport/types.js';
import { parseFacts } from '../../../src/facts/host.js';
import { makeCtx } from '../helpers.js';

const here = dirname(fileURLToPath(import.meta.url));

/** A fixture recorded on the lab hosts (test/modules/sys/fixtures). */
export const fx = (name: string): string => readFileSync(join(here, 'fixtures', name), 'utf8');

/** Gathered facts recorded on real machines (test/fixtures/facts). */
export const gathered = (name: 'debian12.txt' | 'rhel9.txt'): Record<string, unknown> =>
  parseFacts(readFileSync(join(here, '..', '..', 'fixtures', 'facts', name), 'utf8'));

export const res = (stdout: string, code = 0, stderr = ''): ExecResult => ({ code, stdout, stderr });

/** A ModuleCtx for pure planning (the transport is never used). */
export const pctx = (over: Parameters<typeof makeCtx>[0] = {}) => makeCtx({ diff: true, ...over });
