/**
 * A CloudEvent in the structured JSON format (CloudEvents JSON Event Format 1.0,
 * https://github.com/cloudevents/spec/blob/main/cloudevents/formats/json-format.md): the context
 * attributes as members, `data` as JSON (or `data_base64` for binary data), sent as
 * `application/cloudevents+json`.
 */
import type { CloudEvent } from '@veba-functions/runtime';

/** The media type of a structured CloudEvent in JSON. */
export const CLOUDEVENTS_JSON = 'application/cloudevents+json; charset=utf-8';

/**
 * Serializes an event once, so the bytes signed are the bytes sent. Reading `data` parses a
 * binary-mode JSON body: a body that is not JSON throws `InvalidEventError` (400).
 *
 * @example structuredCloudEvent(event) // '{"specversion":"1.0","id":"42",...,"data":{...}}'
 */
export function structuredCloudEvent(event: CloudEvent<unknown>): string {
  const attributes = event.toJSON();
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'data' || name === 'data_base64' || value === undefined || value === null)
      continue;
    out[name] = value;
  }
  const data: unknown = event.data;
  if (data instanceof Uint8Array) out.data_base64 = Buffer.from(data).toString('base64');
  else if (data !== undefined) out.data = data;
  return JSON.stringify(out);
}
