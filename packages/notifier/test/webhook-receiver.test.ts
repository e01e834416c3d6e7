import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebhookReceiver, type WebhookReceiver } from '../src/testing/index.js';

// The Slack stand-in answers as https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks#handling_errors
// says Slack answers a message it cannot use (and https://docs.slack.dev/reference/block-kit/blocks:
// at most 50 blocks), so a bug in a message we build fails a test as it would fail in Slack.
describe('the Slack stand-in refuses what Slack refuses', () => {
  let slack: WebhookReceiver;
  beforeAll(async () => {
    slack = await startWebhookReceiver('slack');
  });
  afterAll(() => slack.close());

  const post = async (body: string) => {
    const response = await fetch(slack.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    return { status: response.status, text: await response.text() };
  };

  it.each([
    ['not JSON', '{"text": ', 'invalid_payload'],
    ['a JSON array', '[1]', 'invalid_payload'],
    ['no text, blocks or attachments', '{"username": "veba"}', 'no_text'],
    ['blocks that are not an array', '{"text": "x", "blocks": {}}', 'invalid_blocks'],
    [
      'more than 50 blocks',
      JSON.stringify({
        text: 'x',
        blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })),
      }),
      'invalid_blocks',
    ],
  ])('%s: 400 %s, recorded with its status', async (_label, body, code) => {
    expect(await post(body)).toEqual({ status: 400, text: code });
    expect(slack.posts.at(-1)?.status).toBe(400);
  });

  it('a message with text, or with blocks only: 200 ok', async () => {
    expect(await post('{"text": "VM powered on"}')).toEqual({ status: 200, text: 'ok' });
    expect(await post('{"blocks": [{"type": "divider"}]}')).toEqual({ status: 200, text: 'ok' });
    expect(slack.posts.at(-1)?.status).toBe(200);
  });
});
