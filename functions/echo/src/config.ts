import { booleanFromEnv, type Config } from '@veba-functions/runtime';

/** echo's own keys (the runtime's keys, such as `PORT` and `LOG_LEVEL`, apply as well). */
export const config = {
  /**
   * `true` adds the event's data to the info line, as received and cut to 2 KiB. Off by default:
   * vSphere payloads run to kilobytes and hold user names.
   */
  ECHO_LOG_DATA: booleanFromEnv().default(false),
};

/** Variables holding a JSON object of the keys above (VEBA's secret pattern): none for echo. */
export const secretVariables: string[] = [];

/** Keys whose values must never be logged, beyond the runtime's name pattern: none for echo. */
export const sensitiveKeys: string[] = [];

export type EchoConfig = Config<typeof config>;
