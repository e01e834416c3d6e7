/**
 * Sends one mail per call over SMTP (nodemailer's SMTP connection, one connection per mail: an
 * alert is rare enough, and a fresh session keeps every stage of a send visible), and turns the
 * outcome into the runtime's status contract on the SMTP reply code (smtp-failure.ts).
 *
 * Recipients: a send where some recipients were accepted and others refused is a success for the
 * accepted ones (retrying would mail them twice): the refused ones are logged with their reply and
 * counted in `veba_email_recipients_total{result="refused"}`. Only when every recipient is refused
 * does the send fail (503 if any refusal was temporary, else 502).
 *
 * A send whose message went out in full and whose reply never came (timeout, reset) may have been
 * delivered: it is answered 503 (so the mail is not lost) with a warning that the retry may
 * deliver it twice, with the same Message-ID.
 */
import { Readable } from 'node:stream';
import {
  DependencyUnavailableError,
  UpstreamRejectedError,
  createScrubber,
} from '@veba-functions/runtime';
import MailComposer from 'nodemailer/lib/mail-composer';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { Counter, Registry } from 'prom-client';
import { registeredCounter } from '@veba-functions/runtime';
import type { NotifierLogger, PostOptions, PostOutcome, TargetClient } from '../target-client.js';
import type { EmailMessage } from './email-message.js';
import { classifySmtpFailure, type SmtpErrorLike, type SmtpStage } from './smtp-failure.js';

/** How the session is secured. */
export type SmtpSecurity = 'starttls' | 'tls' | 'none';

/** Where and how to send. */
export interface SmtpSettings {
  host: string;
  port: number;
  /** `starttls`: upgrade before anything else and fail if the server cannot; `tls`: TLS from the first byte (465); `none`: plain text. */
  security: SmtpSecurity;
  username?: string | undefined;
  password?: string | undefined;
  /** PEM bundle trusted for the server's certificate (besides the system's). */
  ca?: string | undefined;
  from: string;
  to: readonly string[];
}

/** Options of {@link createSmtpClient}. */
export interface SmtpClientOptions extends SmtpSettings {
  logger: NotifierLogger;
  metrics?: Registry;
  /** Per-send timeout (connect, each reply), capped by the event's deadline. Default 30 000 ms. */
  timeoutMs?: number;
  /** EHLO name. Default: nodemailer's (the machine's host name). */
  clientName?: string;
}

/** The 200 details of a sent mail. */
export interface SmtpSendDetails extends Record<string, unknown> {
  accepted: number;
  refused: number;
}

interface SendInfo {
  accepted: string[];
  rejected: string[];
  rejectedErrors?: SmtpErrorLike[] | undefined;
  response: string;
}

/**
 * @example
 * const client = createSmtpClient({ host, port: 587, security: 'starttls', from, to, logger });
 * await client.post(renderEmailMessage(notification), { deadline: ctx.deadline });
 */
export function createSmtpClient(options: SmtpClientOptions): TargetClient<EmailMessage> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const secrets = [options.username, options.password].filter(
    (value): value is string => typeof value === 'string' && value.length > 0,
  );
  const scrub = createScrubber(secrets);
  const sends = options.metrics
    ? counter(
        options.metrics,
        'veba_email_sends_total',
        'Mails by result: ok, unavailable (temporary failure, retried), rejected (permanent failure), maybe_delivered (no reply after the message was sent)',
      )
    : undefined;
  const recipients = options.metrics
    ? counter(
        options.metrics,
        'veba_email_recipients_total',
        'Recipients of sent mails: accepted, refused (a partial send is a success for the accepted ones)',
      )
    : undefined;
  const where = `${options.host}:${options.port}`;
  // MAIL FROM takes the bare address of `Name <address>`.
  const envelopeFrom = (/<([^<>]+)>\s*$/.exec(options.from)?.[1] ?? options.from).trim();

  return {
    async post(message: EmailMessage, post: PostOptions): Promise<PostOutcome> {
      const logger = post.logger ?? options.logger;
      const budget = Math.min(timeoutMs, post.deadline - Date.now());
      if (budget <= 0) {
        sends?.inc({ result: 'unavailable' });
        throw new DependencyUnavailableError(
          `SMTP ${where}: no time left before the event's deadline`,
        );
      }
      const raw = await compose(message, options);
      let info: SendInfo;
      try {
        info = await sendOnce(raw, budget, post.signal);
      } catch (thrown) {
        const { error, stage } = thrown as SmtpSendFailure;
        const failure = classifySmtpFailure(error, stage);
        const reply = scrub(replyText(error)).slice(0, 500);
        const fields = {
          smtpServer: where,
          smtpStage: failure.stage,
          smtpCommand: failure.command,
          smtpReplyCode: failure.replyCode,
          smtpReply: reply,
          messageId: message.messageId,
          refused: refusedList(error),
        };
        if (failure.maybeDelivered) {
          sends?.inc({ result: 'maybe_delivered' });
          logger.warn(
            fields,
            `SMTP ${where}: the message was sent in full but the server's reply never came; it may have been delivered, and the broker's retry may deliver it again (same Message-ID ${message.messageId})`,
          );
          throw new DependencyUnavailableError(`SMTP ${where}: ${failure.reason}`);
        }
        if (failure.kind === 'temporary') {
          sends?.inc({ result: 'unavailable' });
          logger.warn(fields, `SMTP ${where}: ${failure.reason}`);
          throw new DependencyUnavailableError(`SMTP ${where}: ${failure.reason}`);
        }
        sends?.inc({ result: 'rejected' });
        logger.error(fields, `SMTP ${where} refused the mail: ${failure.reason}`);
        throw new UpstreamRejectedError(`SMTP ${where}: ${failure.reason}`);
      }
      sends?.inc({ result: 'ok' });
      recipients?.inc({ result: 'accepted' }, info.accepted.length);
      if (info.rejected.length > 0) {
        recipients?.inc({ result: 'refused' }, info.rejected.length);
        logger.warn(
          {
            smtpServer: where,
            messageId: message.messageId,
            accepted: info.accepted,
            refused: (info.rejectedErrors ?? []).map((e) => ({
              recipient: (e as { recipient?: unknown }).recipient,
              replyCode: e.responseCode,
              reply: scrub(replyText(e)).slice(0, 300),
            })),
          },
          `SMTP ${where}: sent to ${info.accepted.length} recipient(s); ${info.rejected.length} refused (not retried: the accepted ones would get it twice)`,
        );
      }
      const details: SmtpSendDetails = {
        accepted: info.accepted.length,
        refused: info.rejected.length,
      };
      return { details };
    },
  };

  /** One SMTP session: connect, log in, send, quit. Rejects with `{ error, stage }`. */
  function sendOnce(
    raw: Buffer,
    budget: number,
    signal: AbortSignal | undefined,
  ): Promise<SendInfo> {
    return new Promise<SendInfo>((resolve, reject) => {
      let stage: SmtpStage = 'connect';
      let settled = false;
      const connection = new SMTPConnection({
        host: options.host,
        port: options.port,
        secure: options.security === 'tls',
        requireTLS: options.security === 'starttls',
        ignoreTLS: options.security === 'none',
        tls: { minVersion: 'TLSv1.2', ...(options.ca ? { ca: options.ca } : {}) },
        connectionTimeout: budget,
        greetingTimeout: budget,
        socketTimeout: budget,
        logger: false,
        ...(options.clientName ? { name: options.clientName } : {}),
      });
      const fail = (error: SmtpErrorLike | null | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        connection.close();
        reject(new SmtpSendFailure(error ?? {}, stage));
      };
      const timer = setTimeout(
        () =>
          fail(Object.assign(new Error(`no answer within ${budget} ms`), { code: 'ETIMEDOUT' })),
        budget,
      );
      const onAbort = (): void => fail(Object.assign(new Error('aborted'), { code: 'EABORT' }));
      signal?.addEventListener('abort', onAbort, { once: true });
      connection.once('error', fail);
      connection.connect((connectError) => {
        if (connectError) return fail(connectError);
        const send = (): void => {
          stage = 'envelope';
          // The message is read only once DATA was accepted (354); once it ends, all of it is out.
          let pushed = false;
          const stream = new Readable({
            read() {
              if (pushed) return;
              pushed = true;
              stage = 'data';
              this.push(raw);
              this.push(null);
            },
          });
          stream.once('end', () => (stage = 'after-data'));
          connection.send(
            { from: envelopeFrom, to: [...options.to] },
            stream,
            (sendError, info) => {
              if (sendError) return fail(sendError);
              if (settled) return;
              settled = true;
              clearTimeout(timer);
              signal?.removeEventListener('abort', onAbort);
              connection.quit();
              resolve(info);
            },
          );
        };
        if (!options.username) return send();
        stage = 'auth';
        connection.login({ user: options.username, pass: options.password ?? '' }, (authError) => {
          if (authError) return fail(authError);
          send();
        });
      });
    });
  }
}

async function compose(message: EmailMessage, options: SmtpSettings): Promise<Buffer> {
  const composer = new MailComposer({
    from: options.from,
    to: [...options.to],
    subject: message.subject,
    text: message.text,
    html: message.html,
    messageId: message.messageId,
    date: new Date(),
    ...(message.references
      ? { references: message.references, inReplyTo: message.references }
      : {}),
    // RFC 3834: an automatic message; out-of-office responders must not answer it.
    headers: { 'Auto-Submitted': 'auto-generated' },
    xMailer: 'veba-functions email-alert',
  });
  return composer.compile().build();
}

/** A failed session: the library's error and the stage it happened at. */
class SmtpSendFailure extends Error {
  override readonly name = 'SmtpSendFailure';
  constructor(
    readonly error: SmtpErrorLike,
    readonly stage: SmtpStage,
  ) {
    super(error.message ?? 'SMTP send failed');
  }
}

/** The server's reply text of a library error, else its message. */
function replyText(error: SmtpErrorLike): string {
  const response = (error as { response?: unknown }).response;
  return typeof response === 'string' ? response : (error.message ?? '');
}

function refusedList(error: SmtpErrorLike): unknown {
  const rejected = (error as { rejected?: unknown }).rejected;
  return Array.isArray(rejected) && rejected.length > 0 ? rejected : undefined;
}

function counter(registry: Registry, name: string, help: string): Counter<'result'> {
  return registeredCounter(registry, { name, help, labelNames: ['result'] });
}
