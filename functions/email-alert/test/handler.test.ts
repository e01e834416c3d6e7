/**
 * email-alert's handler called directly, with the notifier core sending to a real SMTP server
 * in-process (@veba-functions/notifier/testing/smtp): every corpus sample its Triggers select is
 * mailed (200) or refused naming the field (400).
 */
import { readFileSync } from 'node:fs';
import { CloudEvent } from 'cloudevents';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DependencyUnavailableError,
  InvalidEventError,
  UpstreamRejectedError,
  mapError,
} from '@veba-functions/runtime';
import { createEmailTarget, createNotifier, createSmtpClient } from '@veba-functions/notifier';
import { startSmtpReceiver, type SmtpReceiver } from '@veba-functions/notifier/testing/smtp';
import { handlerContext, loadVebaFixtures } from '@veba-functions/test-helpers';
import { matchesEventClass, parseVSphereEvent } from '@veba-functions/vsphere-events';
import type { EmailAlertConfig } from '../src/config.js';
import { handle, type State } from '../src/handler.js';

let smtp: SmtpReceiver | undefined;
afterEach(async () => {
  await smtp?.close();
  smtp = undefined;
});

/** The event classes values.yaml subscribes to (`type: com.vmware.vsphere.<class>.v0`). */
const TRIGGER_CLASSES = [
  ...readFileSync(new URL('../values.yaml', import.meta.url), 'utf8').matchAll(
    /type: com\.vmware\.vsphere\.(\S+)\.v0/g,
  ),
].map((m) => m[1]!);

/** Corpus samples (CloudEvents 1.0) whose class one of the Triggers selects. */
const selected = loadVebaFixtures().filter(
  (f) =>
    f.valid &&
    f.attributes?.specversion === '1.0' &&
    matchesEventClass(f.event as never, TRIGGER_CLASSES),
);

async function context() {
  smtp = await startSmtpReceiver({ tls: 'none' });
  const ctx = handlerContext<State, EmailAlertConfig>({ state: undefined as never });
  ctx.state = {
    notifier: createNotifier({
      target: createEmailTarget({ subjectPrefix: '[vCenter]', domain: 'corp.example' }),
      client: createSmtpClient({
        host: smtp.host,
        port: smtp.port,
        security: 'none',
        from: 'veba@corp.example',
        to: ['ops@corp.example'],
        logger: ctx.logger,
        timeoutMs: 5_000,
      }),
      logger: ctx.logger,
    }),
  };
  return ctx;
}

const event = (file: string, data?: Record<string, unknown>) => {
  const fixture = loadVebaFixtures().find((f) => f.file === file)!;
  const e = structuredClone(fixture.event) as Record<string, unknown>;
  if (data) e.data = { ...(e.data as object), ...data };
  return parseVSphereEvent(new CloudEvent<unknown>(e, false));
};

describe('email-alert handle(event, ctx)', () => {
  it('the Triggers select corpus samples of the VEBA email examples', () => {
    expect(TRIGGER_CLASSES).toEqual(
      expect.arrayContaining(['VmRemovedEvent', 'AlarmStatusChangedEvent']),
    );
    expect(selected.map((f) => f.file)).toEqual(
      expect.arrayContaining([
        'kn-ps-email__test-payload.json',
        'kn-pcli-datastore-usage-email__test-payload.json',
        'kn-pcli-ha-restarted-vms__test-payload.json',
      ]),
    );
  });

  it.each(selected.map((f) => [f.file]))(
    '%s: mailed (200) or refused naming the field (400)',
    async (file) => {
      const ctx = await context();
      const parsed = event(file);
      const result = await handle(parsed, ctx).catch((e: unknown) => e);
      if (result instanceof Error) {
        expect(result).toBeInstanceOf(InvalidEventError);
        expect(mapError(result).status).toBe(400);
        expect(smtp!.mails).toHaveLength(0);
      } else {
        expect(result).toMatchObject({
          status: 200,
          body: { posted: true, eventClass: parsed.eventClass, accepted: 1, refused: 0 },
        });
        expect(smtp!.mails).toHaveLength(1);
        expect(smtp!.mails[0]!.parsed.subject?.startsWith('[vCenter] ')).toBe(true);
      }
    },
  );

  it("kn-ps-email's VmRemovedEvent: the VM, the user and the time in both parts", async () => {
    const ctx = await context();
    await handle(event('kn-ps-email__test-payload.json'), ctx);
    const mail = smtp!.mails[0]!.parsed;
    for (const text of ['FooBar', 'VSPHERE.LOCAL\\william', '2021-04-23T20:21:02.277Z']) {
      expect(mail.text).toContain(text);
      expect(mail.html).toContain(text);
    }
  });

  it('a VM event without Vm: 400 naming the field, nothing sent', async () => {
    const ctx = await context();
    await expect(
      handle(event('kn-ps-email__test-payload.json', { Vm: null }), ctx),
    ).rejects.toThrow(/data\.Vm is missing/);
    expect(smtp!.mails).toHaveLength(0);
  });

  it("lets the server's refusals through as the runtime errors they map to", async () => {
    const ctx = await context();
    smtp!.script({ stage: 'mail', code: 451, message: 'try later' });
    await expect(handle(event('kn-ps-email__test-payload.json'), ctx)).rejects.toBeInstanceOf(
      DependencyUnavailableError,
    );
    smtp!.script({ stage: 'after-data', code: 554, message: 'rejected as spam' });
    await expect(handle(event('kn-ps-email__test-payload.json'), ctx)).rejects.toBeInstanceOf(
      UpstreamRejectedError,
    );
  });
});
