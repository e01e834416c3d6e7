/**
 * email-alert over HTTP with real peers: a real redis-server (dedupe, maintenance marks) and a
 * real SMTP server in-process (smtp-server, STARTTLS with a CA generated for the test, AUTH),
 * configured through VEBA's kn-ps-email secret as it is.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useNotifierHarness } from '@veba-functions/notifier/testing/function';
import { startSmtpReceiver, type SmtpReceiver } from '@veba-functions/notifier/testing/smtp';
import { fixtureEvent, functionReadmeProblems } from '@veba-functions/test-helpers';
import { expectCorpusAnswered } from '@veba-functions/test-helpers/vitest';
import { createEmailAlert } from '../src/index.js';

const USER = 'veba-notify@primp-industries.example';
const PASSWORD = 'S3cret-SMTP-pa55w0rd';

/** VEBA's kn-ps-email email_secret.json, with this test's server in it. */
function emailSecret(smtp: SmtpReceiver, overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    SMTP_SERVER: smtp.host,
    SMTP_PORT: String(smtp.port),
    SMTP_USERNAME: USER,
    SMTP_PASSWORD: PASSWORD,
    EMAIL_SUBJECT: '⚠️ [VM Delete Notification] ⚠️',
    EMAIL_TO: 'admins@primp-industries.example,sre@primp-industries.example',
    EMAIL_FROM: 'notification-do-not-reply@primp-industries.example',
    ...overrides,
  });
}

// Across every test: the SMTP credentials reached no log line and no HTTP answer, in any form
// (AUTH PLAIN's base64 of both included).
const h = useNotifierHarness(
  () => startSmtpReceiver({ auth: { username: USER, password: PASSWORD } }),
  {
    secrets: () => [USER, PASSWORD, `\0${USER}\0${PASSWORD}`],
    env: (smtp) => ({
      EMAIL_SECRET: emailSecret(smtp),
      SMTP_CA_FILE: smtp.caFile!,
      SMTP_TIMEOUT_SECONDS: '5',
    }),
  },
);

function start(env: Record<string, string> = {}) {
  return h.start(createEmailAlert(h.isolated('email')), env);
}

const vmRemoved = (id: string) => fixtureEvent('kn-ps-email__test-payload.json', { id });

describe('exactly one mail per event', () => {
  it("VEBA's kn-ps-email secret as it is: STARTTLS, AUTH, both recipients, the subject prefix, text and HTML", async () => {
    const fn = await start();
    const reply = await h.send(fn, vmRemoved(`secret-${Date.now()}`));
    expect(reply.status).toBe(200);
    expect(reply.json()).toMatchObject({ posted: true, accepted: 2, refused: 0 });
    const mail = h.receiver.mails[0]!;
    expect(mail.secure).toBe(true);
    expect(mail.user).toBe(USER);
    expect(mail.envelope.to).toEqual([
      'admins@primp-industries.example',
      'sre@primp-industries.example',
    ]);
    expect(mail.parsed.subject).toBe('⚠️ [VM Delete Notification] ⚠️ VM removed: FooBar');
    expect(mail.parsed.messageId).toBe(reply.json<{ messageId: string }>().messageId);
    expect(mail.parsed.html).toContain('Removed FooBar on 192.168.30.5 from Primp-Datacenter');
  });

  it('three concurrent deliveries of one event to two instances sharing Redis mail once', async () => {
    const a = await start();
    const b = await start();
    const event = vmRemoved(`dup-${Date.now()}`);
    const finals = await h.deliverConcurrently([a, b, a], event);
    expect(h.receiver.mails).toHaveLength(1);
    expect(finals.filter((f) => f.json().posted === true)).toHaveLength(1);
    expect((await h.send(b, event)).json()).toMatchObject({
      skipped: expect.stringMatching(/^duplicate/) as unknown,
    });
    expect(h.receiver.mails).toHaveLength(1);
  });

  it('a 4xx is retried by the broker and then mails once; a 5xx is a 502', async () => {
    const fn = await start();
    const event = vmRemoved(`retry-${Date.now()}`);
    h.receiver.script({ stage: 'rcpt', code: 452, message: '4.3.1 Insufficient system storage' });
    h.receiver.script({ stage: 'rcpt', code: 452, message: '4.3.1 Insufficient system storage' });
    expect((await h.send(fn, event)).status).toBe(503);
    expect((await h.send(fn, event)).status).toBe(200);
    expect(h.receiver.mails).toHaveLength(1);
    h.receiver.script({ stage: 'after-data', code: 554, message: '5.7.1 rejected as spam' });
    expect((await h.send(fn, vmRemoved(`spam-${Date.now()}`))).status).toBe(502);
    expect(await fn.metric('veba_email_sends_total', { result: 'rejected' })).toBe(1);
  });

  it('one recipient refused: 200 for the other, logged and counted, and a redelivery sends nothing', async () => {
    const fn = await start();
    h.receiver.rejectRecipient('sre@primp-industries.example', 550, '5.1.1 mailbox unavailable');
    const event = vmRemoved(`partial-${Date.now()}`);
    const reply = await h.send(fn, event);
    expect(reply.status).toBe(200);
    expect(reply.json()).toMatchObject({ accepted: 1, refused: 1 });
    expect(await fn.metric('veba_email_recipients_total', { result: 'refused' })).toBe(1);
    expect(fn.logs.text()).toContain('sre@primp-industries.example');
    expect((await h.send(fn, event)).status).toBe(200);
    expect(h.receiver.mails).toHaveLength(1);
    h.receiver.acceptRecipient('sre@primp-industries.example');
  });

  it('a timeout after DATA: 503 with a "may have been delivered" warning; the retry carries the same Message-ID', async () => {
    const fn = await start({ SMTP_TIMEOUT_SECONDS: '1' });
    h.receiver.script({ stage: 'after-data', hang: true });
    const event = vmRemoved(`hang-${Date.now()}`);
    expect((await h.send(fn, event)).status).toBe(503);
    expect(fn.logs.messages('warn').some((m) => m.includes('may have been delivered'))).toBe(true);
    expect((await h.send(fn, event)).status).toBe(200);
    expect(h.receiver.mails[0]!.parsed.messageId).toBe(h.receiver.unanswered[0]!.parsed.messageId);
  });
});

describe('configuration', () => {
  it("kn-pcli-ha-restarted-vms' HA_SECRET as it is (EMAIL_TO as a JSON array, empty credentials) on a plain-text relay, with the explicit opt-in", async () => {
    const relay = await startSmtpReceiver({ tls: 'none' });
    try {
      const fn = await start({
        EMAIL_SECRET: '',
        SMTP_CA_FILE: '',
        HA_SECRET: JSON.stringify({
          VCENTER_SERVER: 'vcsa.primp-industries.local',
          VCENTER_USERNAME: 'administrator@vsphere.local',
          VCENTER_PASSWORD: 'VMware1!VMware1!',
          VCENTER_CERTIFICATE_ACTION: 'Fail',
          SMTP_SERVER: relay.host,
          SMTP_PORT: String(relay.port),
          SMTP_USERNAME: '',
          SMTP_PASSWORD: '',
          EMAIL_TO: ['notifications@vmweventbroker.example', 'oncall@vmweventbroker.example'],
          EMAIL_FROM: 'noreply@vmweventbroker.example',
          DISPLAY_HOST_FQDN: 'true',
        }),
        SMTP_SECURITY: 'none',
        SMTP_ALLOW_INSECURE: 'true',
      });
      const reply = await h.send(
        fn,
        fixtureEvent('kn-ps-email__test-payload.json', { id: `ha-${Date.now()}` }),
      );
      expect(reply.status).toBe(200);
      expect(relay.mails[0]!.envelope.to).toHaveLength(2);
      expect(fn.logs.text()).not.toContain('VMware1!VMware1!');
    } finally {
      await relay.close();
    }
  });

  it('SMTP_SECURITY=none without SMTP_ALLOW_INSECURE is refused at start, naming the key', async () => {
    await expect(start({ SMTP_SECURITY: 'none' })).rejects.toThrow(
      /SMTP_SECURITY: none .*SMTP_ALLOW_INSECURE=true/,
    );
  });

  it('a relay whose certificate is not trusted: 502 naming SMTP_CA_FILE', async () => {
    const fn = await start({ SMTP_CA_FILE: '' });
    expect((await h.send(fn, vmRemoved(`untrusted-${Date.now()}`))).status).toBe(502);
    expect(fn.logs.text()).toContain('SMTP_CA_FILE');
  });

  it('wrong credentials: 502, and the credentials in no log line or answer', async () => {
    const fn = await start({ SMTP_PASSWORD: 'wrong-password-0' });
    expect((await h.send(fn, vmRemoved(`auth-${Date.now()}`))).status).toBe(502);
    expect(fn.logs.text()).toContain('535');
  });

  it('its README has the sections of every function and documents exactly its keys', () => {
    const dir = fileURLToPath(new URL('..', import.meta.url));
    expect(functionReadmeProblems(dir, createEmailAlert())).toEqual([]);
  });
});

describe('the VEBA sample events over HTTP', () => {
  it('answers 200 or 400 (never 500) to every sample the broker could deliver', async () => {
    const fn = await start();
    const mailed = await expectCorpusAnswered(h, fn, (reply) => reply.json().posted === true);
    expect(mailed).toBeGreaterThanOrEqual(20);
    expect(h.receiver.mails).toHaveLength(mailed);
  });
});
