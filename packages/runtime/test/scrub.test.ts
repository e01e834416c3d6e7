import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import {
  UpstreamRejectedError,
  createScrubber,
  defineFunction,
  secretString,
} from '../src/index.js';
import { secretForms } from '../src/scrub.js';
import { postBinary, start } from './helpers.js';

const PASSWORD = 'VMware1!-secret';
const USER = 'administrator@vsphere.local';
// Slack's documented webhook shape (https://api.slack.com/messaging/webhooks).
const TOKEN = 'XXXXXXXXXXXXXXXXXXXXXXXX';
const WEBHOOK = `https://hooks.slack.com/services/T00000000/B00000000/${TOKEN}`;

const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');

describe('base64 forms', () => {
  it('a secret inside any base64 text is caught at each of the three byte alignments', () => {
    const scrub = createScrubber([PASSWORD]);
    for (let before = 0; before < 6; before++) {
      for (let after = 0; after < 3; after++) {
        const blob = b64(
          Buffer.concat([
            Buffer.alloc(before, 0x41),
            Buffer.from(PASSWORD),
            Buffer.alloc(after, 0x7a),
          ]),
        );
        const scrubbed = scrub(blob);
        expect(scrubbed, `${before} bytes before, ${after} after`).toContain('[REDACTED]');
        // What is left around [REDACTED] holds at most the two characters each side that mix
        // the secret's bits with its neighbours'.
        const left = scrubbed.replace('[REDACTED]', '');
        expect(blob.length - left.length).toBeGreaterThanOrEqual(
          Math.floor((PASSWORD.length * 8) / 6) - 2,
        );
      }
    }
  });

  it('the Basic token of user:password, base64url and URL-encoded base64', () => {
    const scrub = createScrubber([PASSWORD]);
    const basic = `Authorization: Basic ${b64(`${USER}:${PASSWORD}`)}`;
    expect(scrub(basic)).toMatch(
      /^Authorization: Basic [A-Za-z0-9+/]*\[REDACTED\][A-Za-z0-9+/=]*$/,
    );
    const secret = 'p>?~>?~>?~>?~xy'; // 15 bytes: whole base64 quanta
    const standard = b64(secret);
    expect(standard).toMatch(/[+/]/);
    const url = standard.replace(/\+/g, '-').replace(/\//g, '_');
    const scrubSecret = createScrubber([secret]);
    expect(scrubSecret(`jwt=${url}`)).toBe('jwt=[REDACTED]');
    expect(scrubSecret(`q=${encodeURIComponent(standard)}`)).toBe('q=[REDACTED]');
  });

  it('short secrets get no base64 forms (they would match ordinary text)', () => {
    expect(secretForms(['abc'])).toEqual(['abc']);
  });
});

describe('URL secrets: path, last segment, query and password on their own', () => {
  it("a vendor's echo of the webhook path or token is caught", () => {
    const scrub = createScrubber([WEBHOOK]);
    expect(scrub(`Cannot POST /services/T00000000/B00000000/${TOKEN}`)).toBe(
      'Cannot POST [REDACTED]',
    );
    expect(scrub(`invalid_token ${TOKEN}`)).toBe('invalid_token [REDACTED]');
    expect(scrub(`{"url":"${WEBHOOK}"}`)).toBe('{"url":"[REDACTED]"}');
    expect(scrub(`next=${encodeURIComponent(WEBHOOK)}`)).toBe('next=[REDACTED]');
    // The host alone is not secret.
    expect(scrub('POST https://hooks.slack.com/ failed')).toBe(
      'POST https://hooks.slack.com/ failed',
    );
  });

  it('the query and each of its values, and a Redis password', () => {
    const teams =
      'https://example.webhook.office.com/webhookb2/abc/IncomingWebhook/def?sig=S1GNATUREvalue42&v=1';
    const scrub = createScrubber([teams, 'redis://:hunter2@redis:6379/0']);
    expect(scrub('rejected sig=S1GNATUREvalue42&v=1')).toBe('rejected [REDACTED]');
    expect(scrub('bad signature S1GNATUREvalue42')).toBe('bad signature [REDACTED]');
    expect(scrub('AUTH hunter2 failed')).toBe('AUTH [REDACTED] failed');
    // Pieces shorter than 8 characters are not scrubbed on their own (/0, v=1, abc).
    expect(scrub('db /0 v=1 abc')).toBe('db /0 v=1 abc');
  });
});

describe('the matcher', () => {
  it('merges overlapping matches, so no part of a longer secret is left', () => {
    const scrub = createScrubber(['xab', 'abcdefgh']);
    expect(scrub('1 xabcdefgh 2')).toBe('1 [REDACTED] 2');
    expect(scrub('xab xab')).toBe('[REDACTED] [REDACTED]');
    expect(scrub('no secret here')).toBe('no secret here');
  });

  it('with many secrets (past the detector, the exact pass alone) the result is the same', () => {
    const many = Array.from({ length: 80 }, (_, i) => `secret-number-${i}-value`);
    expect(secretForms([...many, 'xab', 'abcdefgh']).length).toBeGreaterThan(160);
    const scrub = createScrubber([...many, 'xab', 'abcdefgh']);
    expect(scrub('1 xabcdefgh 2')).toBe('1 [REDACTED] 2');
    expect(scrub(`a secret-number-79-value b ${b64('secret-number-5-value')}`)).toBe(
      'a [REDACTED] b [REDACTED]',
    );
    expect(scrub('no secret here')).toBe('no secret here');
  });

  it('handles secrets with regular-expression characters and non-ASCII text', () => {
    const scrub = createScrubber(['a.b*c(d)[e]|f\\g', 'päss€word']);
    expect(scrub('x a.b*c(d)[e]|f\\g y')).toBe('x [REDACTED] y');
    expect(scrub('axbxc(d)[e]|f\\g')).toBe('axbxc(d)[e]|f\\g');
    expect(scrub('pw=päss€word;')).toBe('pw=[REDACTED];');
  });
});

describe('in log lines and in the reason sent back to the broker', () => {
  it("a webhook's path and token echoed by the vendor, and a base64 password, are scrubbed from both", async () => {
    const def = defineFunction({
      name: 'slack-like',
      config: { SLACK_WEBHOOK_URL: z.string(), VCENTER_PASSWORD: secretString() },
      handle(_event, ctx) {
        const echo = `Cannot POST /services/T00000000/B00000000/${TOKEN} (token ${TOKEN})`;
        ctx.logger.warn({ body: echo }, 'slack refused');
        const auth = b64(`${USER}:${ctx.config.VCENTER_PASSWORD}`);
        throw new UpstreamRejectedError(`Slack answered 404: ${echo}; vCenter said Basic ${auth}`);
      },
    });
    const fn = await start(def, {
      env: { SLACK_WEBHOOK_URL: WEBHOOK, VCENTER_PASSWORD: PASSWORD },
    });
    const reply = await postBinary(fn.url);
    expect(reply.status).toBe(502);
    const reason = reply.json<{ reason: string }>().reason;
    expect(reason).toContain('Slack answered 404: Cannot POST [REDACTED]');
    const text = fn.logs.text();
    for (const leaked of [TOKEN, '/services/T00000000', b64(`${USER}:${PASSWORD}`), PASSWORD]) {
      expect(reason).not.toContain(leaked);
      expect(text).not.toContain(leaked);
    }
    expect(text).toContain('[REDACTED]');
  });
});

describe('secrets that are lists', () => {
  const first = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const second = 'whsec_2LaLaSwMfKQ9r8GKYqrTwjUPD8ILPZIo';

  it('each item of a whitespace-separated secret (key rotation) is scrubbed on its own', () => {
    const scrub = createScrubber([`${first} ${second}`]);
    expect(scrub(`signed with ${second} only`)).toBe('signed with [REDACTED] only');
    expect(scrub(`base64 ${b64(first)}`)).not.toContain(b64(first).slice(4, 20));
  });

  it('each string item of a JSON array under a secret key is scrubbed on its own', async () => {
    const def = defineFunction({
      name: 'rotating',
      secretVariables: ['HOOK_SECRET'],
      config: { WEBHOOK_SECRETS: z.array(z.string()) },
      handle(_event, ctx) {
        ctx.logger.warn(`tried ${ctx.config.WEBHOOK_SECRETS[1] ?? ''}`);
      },
    });
    const fn = await start(def, {
      env: { HOOK_SECRET: JSON.stringify({ WEBHOOK_SECRETS: [first, second] }) },
    });
    await postBinary(fn.url);
    expect(fn.logs.text()).toContain('tried [REDACTED]');
    expect(fn.logs.text()).not.toContain(second);
  });
});
