/**
 * The SMTP client against a real SMTP server in-process (smtp-server, src/testing/smtp-receiver.ts)
 * with mailparser reading what arrived: STARTTLS with a CA generated for the test, implicit TLS,
 * AUTH, and 4xx / 5xx replies injected at each stage (connect, AUTH, MAIL FROM, RCPT TO, the DATA
 * command, after the message), a partial recipient refusal, and a timeout after DATA. Statuses
 * follow RFC 5321 section 4.2.1 (4yz transient, 5yz permanent).
 */
import {
  DependencyUnavailableError,
  UpstreamRejectedError,
  mapError,
} from '@veba-functions/runtime';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { renderEmailMessage } from '../src/email/email-message.js';
import { createSmtpClient, type SmtpClientOptions } from '../src/email/smtp-client.js';
import { buildNotification } from '../src/model.js';
import { startSmtpReceiver, type SmtpReceiver } from '../src/testing/smtp-receiver.js';
import { corpusEvent } from './corpus.js';
import { captureLogger, type LogLine } from './capture-logger.js';

const USER = 'veba-mailer@corp.example';
const PASSWORD = 'Sm7p-pa55word-never-logged';
const TO = ['ops@corp.example', 'sre@corp.example'];

let smtp: SmtpReceiver | undefined;
afterEach(async () => {
  await smtp?.close();
  smtp = undefined;
});

const message = (file = 'kn-ps-email__test-payload.json') =>
  renderEmailMessage(buildNotification(corpusEvent(file)), {
    subjectPrefix: '[VM Delete Notification]',
    domain: 'corp.example',
  });

async function setup(
  receiver: Parameters<typeof startSmtpReceiver>[0] = {
    auth: { username: USER, password: PASSWORD },
  },
  overrides: Partial<SmtpClientOptions> = {},
) {
  smtp = await startSmtpReceiver(receiver);
  const logger = captureLogger();
  const metrics = new Registry();
  const client = createSmtpClient({
    host: smtp.host,
    port: smtp.port,
    security: receiver.tls === 'implicit' ? 'tls' : receiver.tls === 'none' ? 'none' : 'starttls',
    ...(receiver.auth ? { username: USER, password: PASSWORD } : {}),
    ...(smtp.ca ? { ca: smtp.ca } : {}),
    from: 'VEBA <veba@corp.example>',
    to: TO,
    logger,
    metrics,
    timeoutMs: 5_000,
    ...overrides,
  });
  const send = (m = message()) => client.post(m, { deadline: Date.now() + 10_000 });
  const metric = async (name: string, result: string) =>
    (await metrics.getSingleMetric(name)?.get())?.values.find((v) => v.labels.result === result)
      ?.value ?? 0;
  return { client, logger, send, metric, smtp };
}

function expectNoCredential(logger: { lines: LogLine[] }, errors: unknown[] = []): void {
  const all = [
    ...logger.lines.map((l) => `${l.msg ?? ''} ${JSON.stringify(l.obj)}`),
    ...errors.map((e) =>
      e instanceof Error
        ? `${e.message} ${e.cause instanceof Error ? e.cause.message : ''}`
        : String(e),
    ),
  ].join('\n');
  for (const secret of [PASSWORD, USER]) {
    for (const form of [
      secret,
      encodeURIComponent(secret),
      Buffer.from(secret).toString('base64'),
      Buffer.from(`\0${USER}\0${PASSWORD}`).toString('base64'),
    ])
      expect(all).not.toContain(form);
  }
}

describe('sending over STARTTLS with a private CA and AUTH', () => {
  it('delivers one mail with a text and an HTML part and the event Message-ID, over TLS, authenticated', async () => {
    const { send, smtp, metric } = await setup();
    const m = message();
    const outcome = await send(m);
    expect(outcome).toEqual({ details: { accepted: 2, refused: 0 } });
    expect(smtp.mails).toHaveLength(1);
    const mail = smtp.mails[0]!;
    expect(mail.secure).toBe(true);
    expect(mail.user).toBe(USER);
    expect(mail.envelope).toEqual({ from: 'veba@corp.example', to: TO });
    expect(mail.parsed.messageId).toBe(m.messageId);
    expect(mail.parsed.subject).toBe('[VM Delete Notification] VM removed: FooBar');
    expect(mail.parsed.text).toContain('Removed FooBar on 192.168.30.5 from Primp-Datacenter');
    expect(mail.parsed.html).toContain('<table');
    expect(mail.parsed.headers.get('auto-submitted')).toBe('auto-generated');
    expect(await metric('veba_email_sends_total', 'ok')).toBe(1);
    expect(await metric('veba_email_recipients_total', 'accepted')).toBe(2);
  });

  it('implicit TLS (port 465 style) works too', async () => {
    const { send, smtp } = await setup({
      tls: 'implicit',
      auth: { username: USER, password: PASSWORD },
    });
    await send();
    expect(smtp.mails[0]!.secure).toBe(true);
  });

  it('a server certificate the client does not trust: 502, naming SMTP_CA_FILE, nothing sent', async () => {
    const { send, smtp, logger } = await setup(undefined, { ca: undefined });
    const error = await send().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamRejectedError);
    expect(String((error as Error).message)).toContain('SMTP_CA_FILE');
    expect(smtp.mails).toHaveLength(0);
    expectNoCredential(logger, [error]);
  });

  it('a server without STARTTLS while starttls is required: 502, nothing sent in plain text', async () => {
    const { send, smtp } = await setup({ tls: 'none' }, { security: 'starttls' });
    const error = await send().catch((e: unknown) => e);
    expect(mapError(error).status).toBe(502);
    expect(smtp.mails).toHaveLength(0);
  });

  it('wrong credentials (535): 502, and neither the user nor the password in any log or error', async () => {
    const { send, logger, smtp, metric } = await setup(undefined, {
      password: 'not-the-password-1',
    });
    const error = await send().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamRejectedError);
    expect(logger.lines.find((l) => l.level === 'error')?.obj).toMatchObject({
      smtpReplyCode: 535,
      smtpStage: 'auth',
    });
    expect(smtp.mails).toHaveLength(0);
    expect(await metric('veba_email_sends_total', 'rejected')).toBe(1);
    expectNoCredential(logger, [error]);
  });
});

describe('replies at each stage decide the status on their code', () => {
  it.each([
    ['connect', 421, 503],
    ['connect', 554, 502],
    ['auth', 454, 503],
    ['auth', 535, 502],
    ['mail', 451, 503],
    ['mail', 550, 502],
    ['data', 451, 503],
    ['data', 554, 502],
    ['after-data', 451, 503],
    ['after-data', 552, 502],
  ] as const)('%s %i -> %i, nothing delivered', async (stage, code, status) => {
    const { send, smtp, logger } = await setup();
    smtp.script({ stage, code, message: `scripted ${code}` });
    const error = await send().catch((e: unknown) => e);
    expect(mapError(error).status).toBe(status);
    expect(error).toBeInstanceOf(
      status === 503 ? DependencyUnavailableError : UpstreamRejectedError,
    );
    expect(smtp.mails).toHaveLength(0);
    const line = logger.lines.find((l) => l.level === (status === 503 ? 'warn' : 'error'));
    expect(line?.obj).toMatchObject({ smtpReplyCode: code });
    expectNoCredential(logger, [error]);
  });

  it('RCPT TO 452 for every recipient: 503 (retried, nobody got it)', async () => {
    const { send, smtp } = await setup();
    smtp.script(
      { stage: 'rcpt', code: 452, message: '4.5.3 Too many recipients' },
      { stage: 'rcpt', code: 452, message: '4.5.3 Too many recipients' },
    );
    const error = await send().catch((e: unknown) => e);
    expect(mapError(error).status).toBe(503);
    expect(smtp.mails).toHaveLength(0);
  });

  it('RCPT TO 550 for every recipient: 502', async () => {
    const { send, smtp } = await setup();
    for (const address of TO) smtp.rejectRecipient(address, 550, '5.1.1 No such user');
    const error = await send().catch((e: unknown) => e);
    expect(mapError(error).status).toBe(502);
  });

  it('one recipient refused (452 or 550), one accepted: success for the accepted one, the refused one logged and counted, never resent', async () => {
    for (const code of [452, 550]) {
      const { send, smtp, logger, metric } = await setup();
      smtp.rejectRecipient('sre@corp.example', code, `refused ${code}`);
      const outcome = await send();
      expect(outcome).toEqual({ details: { accepted: 1, refused: 1 } });
      expect(smtp.mails).toHaveLength(1);
      expect(smtp.mails[0]!.envelope.to).toEqual(['ops@corp.example']);
      const warn = logger.lines.find((l) => l.level === 'warn');
      expect(warn?.msg).toContain('1 refused');
      expect(JSON.stringify(warn?.obj)).toContain('sre@corp.example');
      expect(JSON.stringify(warn?.obj)).toContain(String(code));
      expect(await metric('veba_email_recipients_total', 'refused')).toBe(1);
      expect(await metric('veba_email_recipients_total', 'accepted')).toBe(1);
      await smtp.close();
    }
  });
});

describe('no reply', () => {
  it('a timeout after DATA: 503, with a warning that the mail may have been delivered (same Message-ID on retry)', async () => {
    const { send, smtp, logger, metric } = await setup(undefined, { timeoutMs: 500 });
    smtp.script({ stage: 'after-data', hang: true });
    const m = message();
    const error = await send(m).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    // The server did get the whole message: the retry is the possible duplicate the log warns of.
    expect(smtp.unanswered).toHaveLength(1);
    const warn = logger.lines.find((l) => l.level === 'warn');
    expect(warn?.msg).toContain('may have been delivered');
    expect(warn?.msg).toContain(m.messageId);
    expect(await metric('veba_email_sends_total', 'maybe_delivered')).toBe(1);
    // The broker's retry sends the same Message-ID.
    await send(m);
    expect(smtp.mails[0]!.parsed.messageId).toBe(smtp.unanswered[0]!.parsed.messageId);
  });

  it('connection refused: 503, not "may have been delivered"', async () => {
    const { send, smtp, logger } = await setup();
    await smtp.close();
    const error = await send().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect(logger.lines.some((l) => (l.msg ?? '').includes('may have been delivered'))).toBe(false);
  });

  it('no time left before the deadline: 503 without connecting', async () => {
    const { client, smtp } = await setup();
    const error = await client
      .post(message(), { deadline: Date.now() - 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect(smtp.mails).toHaveLength(0);
  });
});

describe('plain text (SMTP_SECURITY=none)', () => {
  it('sends without TLS to a relay that offers none', async () => {
    const { send, smtp } = await setup({ tls: 'none' });
    await send();
    expect(smtp.mails[0]!.secure).toBe(false);
  });
});
