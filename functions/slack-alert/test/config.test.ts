import { ConfigError } from '@veba-functions/runtime';
import { describe, expect, it } from 'vitest';
import { resolveSlackSettings } from '../src/config.js';

const URL_A = 'https://hooks.slack.com/services/T000/B000/secretA';
const URL_B = 'https://hooks.slack.com/services/T000/B000/secretB';

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const secret of ['secretA', 'secretB', 'not-a-url-secret'])
      expect(message).not.toContain(secret);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveSlackSettings', () => {
  it('reads SLACK_WEBHOOK_URL and SLACK_MESSAGE_PRETEXT', () => {
    expect(resolveSlackSettings({ SLACK_WEBHOOK_URL: URL_A, SLACK_MESSAGE_PRETEXT: 'hi' })).toEqual(
      { webhookUrl: URL_A, pretext: 'hi' },
    );
  });

  it('reads SLACK_SECRET as a JSON object (VEBA PowerShell examples)', () => {
    const secret = JSON.stringify({
      SLACK_WEBHOOK_URL: URL_A,
      SLACK_MESSAGE_PRETEXT: ':warning: prod',
    });
    expect(resolveSlackSettings({ SLACK_SECRET: secret })).toEqual({
      webhookUrl: URL_A,
      pretext: ':warning: prod',
    });
  });

  it('reads SLACK_SECRET as the raw webhook URL (VEBA Python example), surrounding whitespace and newline included', () => {
    expect(resolveSlackSettings({ SLACK_SECRET: `${URL_A}\n` })).toEqual({
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
      resolveSlackSettings({
        SLACK_WEBHOOK_URL: URL_A,
        SLACK_MESSAGE_PRETEXT: 'from env',
        SLACK_SECRET: secret,
      }),
    ).toEqual({
      webhookUrl: URL_A,
      pretext: 'from env',
    });
    expect(resolveSlackSettings({ SLACK_WEBHOOK_URL: '', SLACK_SECRET: secret }).webhookUrl).toBe(
      URL_B,
    );
  });

  it('names every place it looked when the URL is missing', () => {
    const error = configError(() =>
      resolveSlackSettings({ SLACK_SECRET: JSON.stringify({ SLACK_MESSAGE_PRETEXT: 'x' }) }),
    );
    expect(error.issues[0]).toBe(
      'SLACK_WEBHOOK_URL: missing (looked in env SLACK_WEBHOOK_URL, JSON secret SLACK_SECRET and SLACK_SECRET as a raw URL)',
    );
    configError(() => resolveSlackSettings({}));
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
  ])('rejects %j without echoing the value', (config, expected) => {
    expect(configError(() => resolveSlackSettings(config)).message).toMatch(expected);
  });
});
