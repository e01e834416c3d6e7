/**
 * email-alert's handler called directly, with the notifier core sending to a real SMTP server
 * in-process (@veba-functions/notifier/testing/smtp): every corpus sample its Triggers select is
 * mailed (200) or refused naming the field (400).
 */
import { describe, expect, it } from 'vitest';
import { DependencyUnavailableError, UpstreamRejectedError } from '@veba-functions/runtime';
import { createEmailTarget, createSmtpClient } from '@veba-functions/notifier';
import {
  itSendsOrRefusesEverySample,
  triggeredSamples,
  useNotifierHandler,
  vsphereSample,
} from '@veba-functions/notifier/testing/function';
import { startSmtpReceiver } from '@veba-functions/notifier/testing/smtp';
import { handle } from '../src/handler.js';

/** What values.yaml's Triggers select (`type: com.vmware.vsphere.<class>.v0`) from the corpus. */
const { classes, files } = triggeredSamples(new URL('../values.yaml', import.meta.url));

const smtp = useNotifierHandler({
  receiver: () => startSmtpReceiver({ tls: 'none' }),
  notifier: (server, logger) => ({
    target: createEmailTarget({ subjectPrefix: '[vCenter]', domain: 'corp.example' }),
    client: createSmtpClient({
      host: server.host,
      port: server.port,
      security: 'none',
      from: 'veba@corp.example',
      to: ['ops@corp.example'],
      logger,
      timeoutMs: 5_000,
    }),
  }),
  sent: (server) => server.mails.length,
});

describe('email-alert handle(event, ctx)', () => {
  it('the Triggers select corpus samples of the VEBA email examples', () => {
    expect(classes).toEqual(expect.arrayContaining(['VmRemovedEvent', 'AlarmStatusChangedEvent']));
    expect(files).toEqual(
      expect.arrayContaining([
        'kn-ps-email__test-payload.json',
        'kn-pcli-datastore-usage-email__test-payload.json',
        'kn-pcli-ha-restarted-vms__test-payload.json',
      ]),
    );
  });

  itSendsOrRefusesEverySample(files, smtp, handle, {
    body: (event) => ({ posted: true, eventClass: event.eventClass, accepted: 1, refused: 0 }),
    after(_event, mailed) {
      if (mailed)
        expect(smtp.receiver.mails[0]!.parsed.subject?.startsWith('[vCenter] ')).toBe(true);
    },
  });

  it("kn-ps-email's VmRemovedEvent: the VM, the user and the time in both parts", async () => {
    const ctx = await smtp.context();
    await handle(vsphereSample('kn-ps-email__test-payload.json'), ctx);
    const mail = smtp.receiver.mails[0]!.parsed;
    for (const text of ['FooBar', 'VSPHERE.LOCAL\\william', '2021-04-23T20:21:02.277Z']) {
      expect(mail.text).toContain(text);
      expect(mail.html).toContain(text);
    }
  });

  it('a VM event without Vm: 400 naming the field, nothing sent', async () => {
    const ctx = await smtp.context();
    await expect(
      handle(vsphereSample('kn-ps-email__test-payload.json', { Vm: null }), ctx),
    ).rejects.toThrow(/data\.Vm is missing/);
    expect(smtp.sent()).toBe(0);
  });

  it("lets the server's refusals through as the runtime errors they map to", async () => {
    const ctx = await smtp.context();
    smtp.receiver.script({ stage: 'mail', code: 451, message: 'try later' });
    await expect(
      handle(vsphereSample('kn-ps-email__test-payload.json'), ctx),
    ).rejects.toBeInstanceOf(DependencyUnavailableError);
    smtp.receiver.script({ stage: 'after-data', code: 554, message: 'rejected as spam' });
    await expect(
      handle(vsphereSample('kn-ps-email__test-payload.json'), ctx),
    ).rejects.toBeInstanceOf(UpstreamRejectedError);
  });
});
