/**
 * webhook-forward's handler called directly with a signing client posting to a local Standard
 * Webhooks receiver (@veba-functions/notifier/testing); signatures verified with the reference
 * `standardwebhooks` package.
 */
import { CloudEvent } from 'cloudevents';
import { afterEach, describe, expect, it } from 'vitest';
import { DependencyUnavailableError, UpstreamRejectedError } from '@veba-functions/runtime';
import {
  createStandardWebhookTarget,
  createTargetClient,
  parseDestination,
  parseSigningSecrets,
} from '@veba-functions/notifier';
import {
  startStandardWebhookReceiver,
  type StandardWebhookReceiver,
} from '@veba-functions/notifier/testing';
import { expectSignedCloudEvent } from '@veba-functions/notifier/testing/function';
import { fixtureEvent, handlerContext, triggerTypes } from '@veba-functions/test-helpers';
import type { WebhookForwardConfig } from '../src/config.js';
import { handle, type State } from '../src/handler.js';

let receiver: StandardWebhookReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

const TRIGGER_TYPES = triggerTypes(new URL('../values.yaml', import.meta.url));

async function context() {
  receiver = await startStandardWebhookReceiver();
  const ctx = handlerContext<State, WebhookForwardConfig>({ state: undefined as never });
  ctx.state = {
    client: createTargetClient({
      target: createStandardWebhookTarget({
        keys: parseSigningSecrets(receiver.secrets.join(' '), 'WEBHOOK_SECRET'),
      }),
      destination: parseDestination(receiver.url, { key: 'WEBHOOK_URL', from: 'test' }),
      logger: ctx.logger,
    }),
  };
  return ctx;
}

const cloudEvent = (file: string, overrides: Record<string, unknown> = {}) =>
  new CloudEvent<unknown>(fixtureEvent(file, overrides), false);

describe('webhook-forward handle(event, ctx)', () => {
  it("kn-ps-zapier's SSO login failure is one of the Triggers, as VEBA 0.8 types it", () => {
    expect(TRIGGER_TYPES).toContain('com.vmware.vsphere.com.vmware.sso.LoginFailure.v0');
  });

  it('forwards the CloudEvent as structured JSON, signed; the reference library verifies it', async () => {
    const ctx = await context();
    const event = cloudEvent('kn-py-echo__testevent.json');
    const result = await handle(event, ctx);
    expect(result).toMatchObject({ status: 200, body: { forwarded: true } });
    const request = receiver!.accepted[0]!;
    expectSignedCloudEvent(request, receiver!.secrets[0]!, event);
    expect(request.headers['webhook-id']).toBe(
      (result as { body: { webhookId: string } }).body.webhookId,
    );
  });

  it('the same event gets the same webhook-id every time; legacy router events by their Key', async () => {
    const ctx = await context();
    await handle(cloudEvent('kn-py-echo__testevent.json'), ctx);
    await handle(cloudEvent('kn-py-echo__testevent.json'), ctx);
    await handle(cloudEvent('kn-py-echo__testevent.json', { id: 'another-id' }), ctx);
    // Two router emissions of one vCenter event: random ids, the same Key.
    await handle(cloudEvent('legacy/go-kn-echo__cloudevent.json', { id: 'random-1' }), ctx);
    await handle(cloudEvent('legacy/go-kn-echo__cloudevent.json', { id: 'random-2' }), ctx);
    const ids = receiver!.accepted.map((r) => r.headers['webhook-id']);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).not.toBe(ids[0]);
    expect(ids[3]).toBe(ids[4]);
  });

  it('410 is a 502, a 503 a 503', async () => {
    const ctx = await context();
    receiver!.script({ status: 410 }, { status: 503 });
    await expect(handle(cloudEvent('kn-py-echo__testevent.json'), ctx)).rejects.toBeInstanceOf(
      UpstreamRejectedError,
    );
    await expect(handle(cloudEvent('kn-py-echo__testevent.json'), ctx)).rejects.toBeInstanceOf(
      DependencyUnavailableError,
    );
  });
});
