import { randomBytes } from 'node:crypto';
import { startSmtpReceiver, type SmtpReceiver } from '@veba-functions/notifier/testing/smtp';
import type { Receiver, ReceiverSpec } from './receivers.js';

/** The SMTP relay stand-in as the demo counts it. */
export interface SmtpRelay extends Receiver {
  readonly host: string;
  readonly port: number;
  /** The PEM file of the CA that signed its certificate (`SMTP_CA_FILE`). */
  readonly caFile: string;
  /** AUTH credentials it accepts (made per run). */
  readonly username: string;
  readonly password: string;
  readonly receiver: SmtpReceiver;
  /** Mails accepted (250 after DATA). */
  mails(): number;
}

/**
 * `startSmtpReceiver()` of `@veba-functions/notifier/testing/smtp`: a real SMTP server (the
 * `smtp-server` package) with STARTTLS, a certificate signed by a CA made at start, and AUTH.
 */
export const smtpRelay: ReceiverSpec<SmtpRelay> = {
  id: 'smtp',
  async start() {
    const username = 'veba-demo';
    const password = randomBytes(12).toString('hex');
    const receiver = await startSmtpReceiver({ tls: 'starttls', auth: { username, password } });
    if (receiver.caFile === undefined) {
      await receiver.close();
      throw new Error('the SMTP stand-in made no CA file for STARTTLS');
    }
    const caFile = receiver.caFile;
    return {
      host: receiver.host,
      port: receiver.port,
      address: `${receiver.host}:${receiver.port}`,
      caFile,
      username,
      password,
      receiver,
      mails: () => receiver.mails.length,
      counts() {
        const secured = receiver.mails.filter((m) => m.secure && m.user === username).length;
        return [
          {
            result: 'mails received',
            count: receiver.mails.length,
            source: `local SMTP server (smtp-server); ${secured} over STARTTLS with AUTH`,
          },
        ];
      },
      stop: () => receiver.close(),
    };
  },
};
