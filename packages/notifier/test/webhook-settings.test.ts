import { ConfigError } from '@veba-functions/runtime';
import { describe, expect, it } from 'vitest';
import { parseDestination } from '../src/destination.js';
import { retiredTeamsConnector } from '../src/teams/teams-target.js';
import { resolveWebhookSettings, type WebhookKeys } from '../src/webhook-settings.js';

const SLACK: WebhookKeys = {
  url: 'SLACK_WEBHOOK_URL',
  pretext: 'SLACK_MESSAGE_PRETEXT',
  secret: 'SLACK_SECRET',
};
const TEAMS: WebhookKeys = {
  url: 'TEAMS_WEBHOOK_URL',
  pretext: 'TEAMS_MESSAGE_PRETEXT',
  secret: 'TEAMS_SECRET',
  refuse: retiredTeamsConnector,
};
const GOOGLE: WebhookKeys = { url: 'GOOGLE_CHAT_WEBHOOK_URL', secret: 'GOOGLE_CHAT_SECRET' };

const URL_A = 'https://hooks.slack.com/services/T000/B000/secretA';
const URL_B = 'https://hooks.slack.com/services/T000/B000/secretB';
const SECRETS = ['secretA', 'secretB', 'not-a-url-secret', 'hunter2', 'sigSECRET'];

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const secret of SECRETS) expect(message).not.toContain(secret);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const settings = (keys: WebhookKeys, config: Record<string, string>) => {
  const s = resolveWebhookSettings(keys, config);
  return { webhookUrl: s.destination.url.href, pretext: s.pretext };
};

describe('resolveWebhookSettings (slack-alert keys)', () => {
  it('reads SLACK_WEBHOOK_URL and SLACK_MESSAGE_PRETEXT', () => {
    expect(settings(SLACK, { SLACK_WEBHOOK_URL: URL_A, SLACK_MESSAGE_PRETEXT: 'hi' })).toEqual({
      webhookUrl: URL_A,
      pretext: 'hi',
    });
  });

  it('reads SLACK_SECRET as a JSON object (VEBA PowerShell examples)', () => {
    const secret = JSON.stringify({
      SLACK_WEBHOOK_URL: URL_A,
      SLACK_MESSAGE_PRETEXT: ':warning: prod',
    });
    expect(settings(SLACK, { SLACK_SECRET: secret })).toEqual({
      webhookUrl: URL_A,
      pretext: ':warning: prod',
    });
  });

  it('reads SLACK_SECRET as the raw webhook URL (VEBA Python example), surrounding whitespace and newline included', () => {
    expect(settings(SLACK, { SLACK_SECRET: `${URL_A}\n` })).toEqual({
      webhookUrl: URL_A,
      pretext: undefined,
    });
  });

  it('lets plain variables win over SLACK_SECRET', () => {
    const secret = JSON.stringify({
      SLACK_WEBHOOK_URL: URL_B,
      SLACK_MESSAGE_PRETEXT: 'from secret',
    });
    expect(
      settings(SLACK, {
        SLACK_WEBHOOK_URL: URL_A,
        SLACK_MESSAGE_PRETEXT: 'from env',
        SLACK_SECRET: secret,
      }),
    ).toEqual({ webhookUrl: URL_A, pretext: 'from env' });
    expect(settings(SLACK, { SLACK_WEBHOOK_URL: '', SLACK_SECRET: secret }).webhookUrl).toBe(URL_B);
  });

  it('names every place it looked when the URL is missing', () => {
    const error = configError(() =>
      resolveWebhookSettings(SLACK, {
        SLACK_SECRET: JSON.stringify({ SLACK_MESSAGE_PRETEXT: 'x' }),
      }),
    );
    expect(error.issues[0]).toBe(
      'SLACK_WEBHOOK_URL: missing (looked in env SLACK_WEBHOOK_URL, JSON secret SLACK_SECRET and SLACK_SECRET as a raw URL)',
    );
    configError(() => resolveWebhookSettings(SLACK, {}));
  });

  it.each([
    [
      { SLACK_WEBHOOK_URL: 'not-a-url-secret' },
      /SLACK_WEBHOOK_URL: invalid \(from env SLACK_WEBHOOK_URL\)/,
    ],
    [{ SLACK_WEBHOOK_URL: 'ftp://not-a-url-secret/x' }, /expected an http\(s\) URL/],
    [
      { SLACK_SECRET: 'not-a-url-secret' },
      /SLACK_SECRET: invalid: expected a JSON object of keys or the raw webhook URL/,
    ],
    [{ SLACK_SECRET: '{"SLACK_WEBHOOK_URL": not-a-url-secret' }, /SLACK_SECRET: not valid JSON/],
    [{ SLACK_SECRET: '["not-a-url-secret"]' }, /SLACK_SECRET: not a JSON object/],
    [
      { SLACK_SECRET: '{"SLACK_WEBHOOK_URL": 42}' },
      /SLACK_WEBHOOK_URL: invalid \(from JSON secret SLACK_SECRET\): expected a string/,
    ],
    [
      { SLACK_SECRET: '{"SLACK_WEBHOOK_URL": "not-a-url-secret"}' },
      /SLACK_WEBHOOK_URL: invalid \(from JSON secret SLACK_SECRET\)/,
    ],
    [
      { SLACK_SECRET: '{"constructor": "x", "__proto__": {"SLACK_WEBHOOK_URL": "https://e/x"}}' },
      /SLACK_WEBHOOK_URL: missing/,
    ],
  ])('rejects %j without echoing the value', (config, expected) => {
    expect(configError(() => resolveWebhookSettings(SLACK, config)).message).toMatch(expected);
  });
});

describe('destination URLs: https only, no credentials in them', () => {
  it.each([
    ['SLACK_WEBHOOK_URL', SLACK, 'https://user:hunter2@hooks.slack.com/services/T/B/secretA'],
    ['SLACK_WEBHOOK_URL', SLACK, 'https://:hunter2@hooks.slack.com/services/T/B/secretA'],
    [
      'TEAMS_WEBHOOK_URL',
      TEAMS,
      'https://bot:hunter2@prod-01.westus.logic.azure.com/workflows/x/triggers/manual/paths/invoke?sig=sigSECRET',
    ],
    [
      'GOOGLE_CHAT_WEBHOOK_URL',
      GOOGLE,
      'https://me:hunter2@chat.googleapis.com/v1/spaces/A/messages?key=k&token=secretA',
    ],
  ])(
    '%s with user:password@ is refused at init, naming the key, without the value',
    (key, keys, url) => {
      const error = configError(() => resolveWebhookSettings(keys, { [key]: url }));
      expect(error.message).toContain(
        `${key}: invalid (from env ${key}): the URL contains a user name or password`,
      );
      expect(error.message).not.toMatch(/:hunter2@|bot:|me:/);
      expect(error.message).not.toContain('bot:');
    },
  );

  it.each([
    [
      'http://hooks.slack.com/services/T/B/secretA',
      /expected an https URL \(plain http is accepted only for a loopback address\)/,
    ],
    ['http://10.0.0.5/services/T/B/secretA', /expected an https URL/],
  ])('plain http outside loopback is refused: %s', (url, expected) => {
    expect(
      configError(() => resolveWebhookSettings(SLACK, { SLACK_WEBHOOK_URL: url })).message,
    ).toMatch(expected);
  });

  it('plain http to a loopback address is accepted (a local relay, a test receiver)', () => {
    for (const host of ['127.0.0.1:8080', 'localhost', '[::1]:9']) {
      expect(
        settings(SLACK, { SLACK_WEBHOOK_URL: `http://${host}/services/T/B/x` }).webhookUrl,
      ).toContain('http://');
    }
  });

  it.each([
    'https://contoso.webhook.office.com/webhookb2/a@b/IncomingWebhook/c/d',
    'https://outlook.office.com/webhook/a@b/IncomingWebhook/c/d',
    'https://webhook.office.com/webhookb2/x',
  ])('Teams refuses a retired Office 365 connector URL and says what to use: %s', (url) => {
    const error = configError(() => resolveWebhookSettings(TEAMS, { TEAMS_WEBHOOK_URL: url }));
    expect(error.message).toMatch(
      /Office 365 connector URL \(webhook\.office\.com\), which Microsoft retired/,
    );
    expect(error.message).toMatch(/Workflows webhook/);
  });

  it('Teams takes a Workflows URL from TEAMS_SECRET (kn-ps-ngw-teams shape); Google Chat from GOOGLE_CHAT_SECRET', () => {
    const teams =
      'https://prod-01.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=sigSECRET';
    expect(
      settings(TEAMS, { TEAMS_SECRET: JSON.stringify({ TEAMS_WEBHOOK_URL: teams }) }).webhookUrl,
    ).toBe(new URL(teams).href);
    const google = 'https://chat.googleapis.com/v1/spaces/AAA/messages?key=k&token=secretA';
    expect(
      settings(GOOGLE, { GOOGLE_CHAT_SECRET: JSON.stringify({ GOOGLE_CHAT_WEBHOOK_URL: google }) }),
    ).toEqual({
      webhookUrl: google,
      pretext: undefined,
    });
  });

  it('masks and ids a destination without its secret parts', () => {
    const d = parseDestination(URL_A, { key: 'K', from: 'test' });
    expect(d.masked).toBe('https://hooks.slack.com/services/***');
    expect(d.id).toMatch(/^[0-9a-f]{16}$/);
    expect(
      d.scrub(
        `POST /services/T000/B000/secretA failed; ${Buffer.from('secretA').toString('base64')}`,
      ),
    ).toBe('POST *** failed; ***');
  });
});
