/**
 * A real SMTP server in-process (the `smtp-server` package) for tests and the demo
 * (`@veba-functions/notifier/testing/smtp`; needs `smtp-server`, `mailparser` and `selfsigned`,
 * dev dependencies). It speaks SMTP as RFC 5321 says, with what the tests need around it:
 * - STARTTLS (default), implicit TLS or plain text, with a certificate for `localhost` and
 *   `127.0.0.1` signed by a CA generated at start (`caFile`: give it as `SMTP_CA_FILE`);
 * - AUTH PLAIN / LOGIN with one user (`auth`), refusing anything else with 535;
 * - scripted replies at each stage (`connect`, `auth`, `mail` = MAIL FROM, `rcpt` = RCPT TO,
 *   `data` = the DATA command, `after-data` = the reply to the message), a reply per recipient
 *   (`rejectRecipient`), or no reply after the message at all (`hang`: a timeout after DATA);
 * - every mail that arrived, parsed with `mailparser` (headers, text, HTML, Message-ID).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { simpleParser, type ParsedMail } from 'mailparser';
import { generate } from 'selfsigned';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { createArrivals } from './arrivals.js';

/** A stage of the SMTP session. */
export type SmtpReceiverStage = 'connect' | 'auth' | 'mail' | 'rcpt' | 'data' | 'after-data';

/** A scripted reply: at the next time the session reaches `stage` (for `rcpt`: for `recipient` only, when set). */
export type SmtpScriptedReply =
  | { stage: SmtpReceiverStage; code: number; message?: string; recipient?: string }
  | { stage: 'after-data'; hang: true };

/** One mail that arrived. */
export interface ReceivedMail {
  envelope: { from: string; to: string[] };
  /** The session was TLS (STARTTLS or implicit). */
  secure: boolean;
  /** The authenticated user, if any. */
  user: string | undefined;
  raw: Buffer;
  parsed: ParsedMail;
}

/** Options of {@link startSmtpReceiver}. */
export interface SmtpReceiverOptions {
  /** `starttls` (default), `implicit` (TLS from the first byte, port 465 style) or `none`. */
  tls?: 'starttls' | 'implicit' | 'none';
  /** Require AUTH with this user. */
  auth?: { username: string; password: string };
}

/** A running SMTP server. */
export interface SmtpReceiver {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The PEM of the CA that signed its certificate (undefined without TLS). */
  readonly ca: string | undefined;
  /** A file holding `ca` (for `SMTP_CA_FILE`). */
  readonly caFile: string | undefined;
  /** Mails that were accepted, in order. */
  readonly mails: ReceivedMail[];
  /** Mails that arrived in full but got no reply (`hang`). */
  readonly unanswered: ReceivedMail[];
  /** Replies for the next times a stage is reached, in order. */
  script(...replies: SmtpScriptedReply[]): void;
  /** Refuses RCPT TO for `address` with `code` every time. */
  rejectRecipient(address: string, code: number, message?: string): void;
  /** Accepts `address` again (undoes {@link SmtpReceiver.rejectRecipient}). */
  acceptRecipient(address: string): void;
  waitForMails(count: number, timeoutMs?: number): Promise<void>;
  /** Forgets the mails, scripted replies and refused recipients (between tests). */
  reset(): void;
  close(): Promise<void>;
}

interface ConnectionLike {
  session: SMTPServerSession;
  send(code: number, message: string): void;
  handler_DATA?: (command: unknown, callback: () => void) => void;
}

/**
 * @example
 * const smtp = await startSmtpReceiver({ auth: { username: 'veba', password: 'pw' } });
 * // SMTP_SERVER=127.0.0.1 SMTP_PORT=smtp.port SMTP_CA_FILE=smtp.caFile ... then smtp.mails
 */
export async function startSmtpReceiver(options: SmtpReceiverOptions = {}): Promise<SmtpReceiver> {
  const mode = options.tls ?? 'starttls';
  const pems = mode === 'none' ? undefined : await certificates();
  const dir = pems ? mkdtempSync(join(tmpdir(), 'veba-smtp-')) : undefined;
  const caFile = dir && pems ? join(dir, 'ca.pem') : undefined;
  if (caFile && pems) writeFileSync(caFile, pems.ca);
  const mails: ReceivedMail[] = [];
  const unanswered: ReceivedMail[] = [];
  const queue: SmtpScriptedReply[] = [];
  const refusals = new Map<string, { code: number; message: string }>();
  const arrivals = createArrivals(mails, 'mails');
  const hanging = new Set<Readable>();

  const take = (stage: SmtpReceiverStage, recipient?: string): SmtpScriptedReply | undefined => {
    const index = queue.findIndex(
      (r) =>
        r.stage === stage &&
        (!('recipient' in r) || r.recipient === undefined || r.recipient === recipient),
    );
    return index < 0 ? undefined : queue.splice(index, 1)[0];
  };
  const replyError = (reply: SmtpScriptedReply): Error & { responseCode: number } =>
    Object.assign(new Error('code' in reply ? (reply.message ?? 'scripted refusal') : 'hang'), {
      responseCode: 'code' in reply ? reply.code : 451,
    });

  const server: SMTPServer = new SMTPServer({
    secure: mode === 'implicit',
    ...(pems ? { key: pems.key, cert: pems.cert } : {}),
    hideSTARTTLS: mode !== 'starttls',
    authOptional: options.auth === undefined,
    ...(options.auth === undefined ? { disabledCommands: ['AUTH'] } : {}),
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: mode === 'none',
    logger: false,
    onConnect(session, callback) {
      const connection = [
        ...(server as unknown as { connections: Set<ConnectionLike> }).connections,
      ].find((c) => c.session === session);
      if (connection) {
        const original = connection.handler_DATA;
        // smtp-server has no hook for the DATA command itself (only for the message after it).
        connection.handler_DATA = (command, done) => {
          const reply = take('data');
          if (reply && 'code' in reply) {
            connection.send(reply.code, reply.message ?? 'scripted refusal');
            done();
            return;
          }
          original?.call(connection, command, done);
        };
      }
      const reply = take('connect');
      callback(reply ? replyError(reply) : undefined);
    },
    onAuth(auth, _session, callback) {
      const reply = take('auth');
      if (reply) return callback(replyError(reply));
      if (
        options.auth &&
        auth.username === options.auth.username &&
        auth.password === options.auth.password
      ) {
        return callback(null, { user: auth.username });
      }
      return callback(
        Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }),
      );
    },
    onMailFrom(_address, _session, callback) {
      const reply = take('mail');
      callback(reply ? replyError(reply) : undefined);
    },
    onRcptTo(address, _session, callback) {
      const refusal = refusals.get(address.address.toLowerCase());
      if (refusal) {
        return callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
      }
      const reply = take('rcpt', address.address);
      callback(reply ? replyError(reply) : undefined);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        void (async () => {
          const raw = Buffer.concat(chunks);
          const mail: ReceivedMail = {
            envelope: {
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
            },
            secure: session.secure,
            user: typeof session.user === 'string' ? session.user : undefined,
            raw,
            parsed: await simpleParser(raw),
          };
          const reply = take('after-data');
          if (reply && 'hang' in reply) {
            unanswered.push(mail);
            hanging.add(stream);
            return;
          }
          if (reply) return callback(replyError(reply));
          arrivals.add(mail);
          callback();
        })();
      });
    },
  });
  server.on('error', () => {
    // A client that drops the connection (a test's timeout) is not the server's failure.
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    ca: pems?.ca,
    caFile,
    mails,
    unanswered,
    script: (...replies) => void queue.push(...replies),
    rejectRecipient(address, code, message) {
      refusals.set(address.toLowerCase(), { code, message: message ?? 'refused' });
    },
    acceptRecipient(address) {
      refusals.delete(address.toLowerCase());
    },
    waitForMails: arrivals.waitFor,
    reset() {
      mails.length = 0;
      unanswered.length = 0;
      queue.length = 0;
      refusals.clear();
    },
    async close() {
      for (const stream of hanging) stream.destroy();
      for (const connection of (server as unknown as { connections: Set<{ close(): void }> })
        .connections)
        connection.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A CA and a certificate for localhost / 127.0.0.1 signed by it (EC P-256: fast to make). */
async function certificates(): Promise<{ ca: string; key: string; cert: string }> {
  const notAfterDate = new Date(Date.now() + 24 * 3600 * 1000);
  const ca = await generate([{ name: 'commonName', value: 'veba-functions test CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      {
        name: 'keyUsage',
        keyCertSign: true,
        cRLSign: true,
        digitalSignature: true,
        critical: true,
      },
    ],
  });
  const leaf = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { ca: ca.cert, key: leaf.private, cert: leaf.cert };
}
