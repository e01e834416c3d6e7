import { RenderError } from './errors.js';
import { isRecord, type Values } from './values-tree.js';

/**
 * RabbitMQ broker: how many events one Trigger's dispatcher delivers at once. The broker reads
 * only this annotation and runs one worker without it (eventing-rabbitmq
 * pkg/reconciler/trigger/resources/dispatcher.go, PARALLELISM defaults to "1"); its webhook
 * accepts 1-1000 (pkg/apis/eventing/v1alpha1/trigger_validation.go). Docs:
 * https://knative.dev/docs/eventing/brokers/broker-types/rabbitmq-broker/ ("Configure message ordering").
 */
export const RABBITMQ_PARALLELISM = 'rabbitmq.eventing.knative.dev/parallelism';

/**
 * The annotation's name before eventing-rabbitmq knative-v1.4 (renamed by
 * knative-extensions/eventing-rabbitmq#676); the broker VEBA 0.8 ships (1.13) ignores it.
 */
export const RABBITMQ_PREFETCH_COUNT = 'rabbitmq.eventing.knative.dev/prefetchCount';

/**
 * Kafka broker: `ordered` makes the consumer wait for the subscriber's answer before the next
 * event of the same partition; `unordered` (the default) does not wait
 * (eventing-kafka-broker control-plane/pkg/reconciler/trigger/v2/triggerv2.go; docs:
 * https://knative.dev/docs/eventing/brokers/broker-types/kafka-broker/, "Configuring the order of
 * delivered events").
 */
export const KAFKA_DELIVERY_ORDER = 'kafka.eventing.knative.dev/delivery.order';

/**
 * The RabbitMQ dispatcher's channel prefetch is fixed at 100 unacknowledged events
 * (eventing-rabbitmq pkg/rabbit/connections_handler.go, ChannelQoS), so workers past 100 never get
 * an event: the default parallelism stops there.
 */
const RABBITMQ_PREFETCH = 100;

/** The broker implementations the chart writes delivery annotations for. */
export type BrokerClass = 'rabbitmq' | 'kafka';

/** `broker` after the older string form (the broker's name) is read as `{ name }`. */
export interface BrokerSettings {
  name: string;
  class: BrokerClass;
  /** RabbitMQ only; unset = derived from containerConcurrency. */
  parallelism?: number;
}

// Annotations a trigger may not set itself, with the reason the error gives.
const OWNED_ANNOTATIONS: Record<string, string> = {
  [RABBITMQ_PARALLELISM]:
    'set by the chart from broker.parallelism and ordering.enabled; set those instead',
  [KAFKA_DELIVERY_ORDER]: 'set by the chart from ordering.enabled; set that instead',
  [RABBITMQ_PREFETCH_COUNT]:
    'not read by the RabbitMQ broker since eventing-rabbitmq knative-v1.4 (renamed parallelism); use broker.parallelism',
};

function fail(source: string, path: string, problem: string): never {
  throw new RenderError(`${source}: ${path}: ${problem}`);
}

export function orderingEnabled(values: Values): boolean {
  const ordering = values['ordering'];
  return isRecord(ordering) && ordering['enabled'] === true;
}

/**
 * Reads and checks `broker` as the chart's schema and trigger template do.
 * @throws RenderError naming the key when the value is not one the chart accepts.
 */
export function brokerSettings(values: Values, source: string): BrokerSettings {
  const broker = values['broker'];
  if (typeof broker === 'string' && broker.length > 0) return { name: broker, class: 'rabbitmq' };
  if (!isRecord(broker)) {
    fail(source, 'broker', 'expected { name, class, parallelism? } or a broker name');
  }
  for (const key of Object.keys(broker)) {
    if (!['name', 'class', 'parallelism'].includes(key))
      fail(source, `broker.${key}`, 'unknown key');
  }
  const name = broker['name'];
  if (typeof name !== 'string' || name.length === 0) fail(source, 'broker.name', 'required');
  const brokerClass = broker['class'];
  if (brokerClass !== 'rabbitmq' && brokerClass !== 'kafka') {
    fail(source, 'broker.class', `expected rabbitmq or kafka, got ${JSON.stringify(brokerClass)}`);
  }
  const parallelism = broker['parallelism'];
  if (parallelism === undefined) return { name, class: brokerClass };
  if (
    typeof parallelism !== 'number' ||
    !Number.isInteger(parallelism) ||
    parallelism < 1 ||
    parallelism > 1000
  ) {
    fail(
      source,
      'broker.parallelism',
      `expected an integer from 1 to 1000, got ${JSON.stringify(parallelism)}`,
    );
  }
  if (brokerClass === 'kafka') {
    fail(
      source,
      'broker.parallelism',
      `applies to the RabbitMQ broker only (${RABBITMQ_PARALLELISM}); the Kafka broker ignores it. Remove it, or set broker.class: rabbitmq`,
    );
  }
  if (orderingEnabled(values) && parallelism !== 1) {
    fail(
      source,
      'broker.parallelism',
      `${parallelism} contradicts ordering.enabled, which needs one event at a time per Trigger; remove broker.parallelism or turn ordering off`,
    );
  }
  return { name, class: brokerClass, parallelism };
}

/** Refuses a trigger annotation the chart writes itself (the trigger's value would be lost). */
export function checkTriggerAnnotations(annotations: unknown, at: string, source: string): void {
  if (!isRecord(annotations)) return;
  for (const key of Object.keys(OWNED_ANNOTATIONS).sort()) {
    if (key in annotations)
      fail(source, `${at}.annotations`, `${key} is ${OWNED_ANNOTATIONS[key]}`);
  }
}

/**
 * The RabbitMQ parallelism the chart writes: 1 with ordering, else broker.parallelism, else the
 * Service's containerConcurrency (100 when it is 0 = unlimited, or above 100).
 */
export function rabbitmqParallelism(values: Values, broker: BrokerSettings): number {
  if (orderingEnabled(values)) return 1;
  if (broker.parallelism !== undefined) return broker.parallelism;
  const concurrency = Number(values['containerConcurrency']);
  return concurrency === 0 || concurrency > RABBITMQ_PREFETCH ? RABBITMQ_PREFETCH : concurrency;
}

/** The delivery annotations every Trigger of the function gets, by broker class. */
export function deliveryAnnotations(
  values: Values,
  broker: BrokerSettings,
): Record<string, string> {
  if (broker.class === 'kafka') {
    return { [KAFKA_DELIVERY_ORDER]: orderingEnabled(values) ? 'ordered' : 'unordered' };
  }
  return { [RABBITMQ_PARALLELISM]: String(rabbitmqParallelism(values, broker)) };
}
