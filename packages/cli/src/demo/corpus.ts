import { loadVebaFixtures, type VebaFixture } from '@veba-functions/test-helpers/fixtures';
import { EventFileError } from '../errors.js';
import { fixtureToEvent, type OutgoingEvent } from '../events.js';

/** A corpus file the broker cannot carry, and why. */
export interface Undeliverable {
  readonly file: string;
  readonly reason: string;
}

/** The VEBA sample corpus as the broker would carry it. */
export interface CorpusEvents {
  readonly events: OutgoingEvent[];
  readonly undeliverable: Undeliverable[];
}

/**
 * Bare bodies whose example's Trigger selects one type: the Go tagging example's unit-test inputs
 * are power-ons (its function.yaml filters `com.vmware.vsphere.VmPoweredOnEvent.v0`).
 */
const BARE_BODY_TYPES: ReadonlyMap<string, string> = new Map([
  ['kn-go-tagging__', 'com.vmware.vsphere.VmPoweredOnEvent.v0'],
]);

function bareBodyType(file: string): string | undefined {
  for (const [prefix, type] of BARE_BODY_TYPES) if (file.startsWith(prefix)) return type;
  return undefined;
}

/** One sample as an event, or the reason it cannot be one. */
function toEvent(fixture: VebaFixture): OutgoingEvent | Undeliverable {
  const type = fixture.attributes?.type;
  if (fixture.reason?.startsWith('not valid JSON')) {
    // Delivered as the bytes its send script would POST: the function must answer 400.
    if (type === undefined) return { file: fixture.file, reason: fixture.reason };
    return { attributes: { ...fixture.attributes }, rawBody: fixture.body, origin: fixture.file };
  }
  const bareType = fixture.mode === 'data-only' ? bareBodyType(fixture.file) : undefined;
  if (fixture.mode === 'data-only' && bareType === undefined) {
    return {
      file: fixture.file,
      reason: 'no CloudEvent type recorded anywhere: the broker cannot route it',
    };
  }
  try {
    return fixtureToEvent(fixture, fixture.file, bareType ? { type: bareType } : {});
  } catch (error) {
    if (!(error instanceof EventFileError)) throw error;
    return { file: fixture.file, reason: 'no CloudEvent type: the broker cannot route it' };
  }
}

/**
 * Every file of the VEBA sample corpus (test-helpers' loader) as an event, or the reason it cannot
 * be one. Incomplete CloudEvents keep their attributes as they are (the corpus's negative cases
 * stay negative). A sample that reuses another sample's (`source`, `id`) — copy-pasted ids in
 * VEBA's examples — gets a suffix, so every sample is its own event and the duplicates the demo
 * counts are only its deliberate re-deliveries. `every: n` keeps every n-th file (the quick run).
 */
export function corpusEvents(options: { every?: number } = {}): CorpusEvents {
  const every = options.every ?? 1;
  const events: OutgoingEvent[] = [];
  const undeliverable: Undeliverable[] = [];
  const seen = new Map<string, number>();
  loadVebaFixtures().forEach((fixture, index) => {
    if (index % every !== 0) return;
    const event = toEvent(fixture);
    if (!('attributes' in event)) {
      undeliverable.push(event);
      return;
    }
    const identity = `${event.attributes.source}|${event.attributes.id}`;
    const count = seen.get(identity) ?? 0;
    seen.set(identity, count + 1);
    if (count > 0 && event.attributes.id) event.attributes.id = `${event.attributes.id}~${count}`;
    events.push(event);
  });
  return { events, undeliverable };
}
