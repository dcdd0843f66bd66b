/**
 * Python's text of times and numbers where Ansible's results show them: str(datetime.now())
 * (command's start/end, pause's start/stop), str(timedelta) (command's delta), str(float).
 */
import { PyDateTime, PyTimeDelta, tmOf } from '../template/pydate.js';

/** str(datetime) of epoch ms in local time: 2024-05-01 12:00:00.123456 */
export function pyDateTimeStr(ms: number): string {
  return PyDateTime.of(tmOf(ms / 1000, false)).str();
}

/** str(timedelta) of a span of ms: 0:00:00.012345 */
export function pyTimeDeltaStr(ms: number): string {
  return new PyTimeDelta(Math.max(0, Math.round(ms * 1000))).str();
}

/** str(float): 1.0, 1.25 */
export function pyFloatStr(x: number): string {
  return Number.isInteger(x) ? x.toFixed(1) : String(x);
}

/** Wall-clock time in epoch ms with sub-millisecond precision. */
export const clockMs = (): number => performance.timeOrigin + performance.now();
