/**
 * What an SMTP failure means, decided on the server's reply code (RFC 5321 section 4.2.1: 4yz is
 * a transient negative completion, 5yz a permanent one), not on the client library's error name:
 *
 * | failure | kind | broker sees |
 * |---|---|---|
 * | a 4xx reply at any stage (421 at connect, 454 at AUTH, 451 at MAIL FROM, 452 at RCPT TO, 451 at DATA or after it) | temporary | 503 |
 * | a 5xx reply at any stage (535 at AUTH, 550 at RCPT TO, 554 after DATA) | permanent | 502 |
 * | no reply: authentication not possible (no credentials, no mechanism), TLS refused or the certificate not trusted, an invalid address | permanent | 502 |
 * | no reply: connection refused, reset or timed out, DNS | temporary | 503 |
 * | no reply once the whole message was sent (timeout or reset after DATA) | temporary, **may have been delivered** | 503 |
 */

/** Where in the session the failure happened. */
export type SmtpStage = 'connect' | 'auth' | 'envelope' | 'data' | 'after-data';

/** A classified failure. */
export interface SmtpFailure {
  kind: 'temporary' | 'permanent';
  stage: SmtpStage;
  /** The reply code, when the server replied. */
  replyCode?: number;
  /** The SMTP command in flight (`MAIL FROM`, `RCPT TO`, `DATA`, `AUTH PLAIN`, `CONN`). */
  command?: string;
  /** True when the message was sent in full and no reply came: the server may have taken it. */
  maybeDelivered: boolean;
  /** A short reason for log lines (without the server's text). */
  reason: string;
}

/** The fields of a nodemailer error this reads. */
export interface SmtpErrorLike {
  code?: string | undefined;
  originalCode?: string | undefined;
  responseCode?: number | undefined;
  command?: string | undefined;
  message?: string | undefined;
}

/** Certificate and TLS errors: retrying will not make the server's certificate trusted. */
const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_|ERR_TLS|ERR_SSL|DEPTH_ZERO|HOSTNAME/i;

const PERMANENT_WITHOUT_REPLY: ReadonlyMap<string, string> = new Map([
  ['EAUTH', 'authentication is not possible (credentials or mechanism)'],
  ['ENOAUTH', 'the server requires authentication and no credentials are configured'],
  ['ETLS', 'TLS could not be set up (STARTTLS not offered or refused, or the handshake failed)'],
  ['EREQUIRETLS', 'the server does not support REQUIRETLS'],
  ['EENVELOPE', 'the sender or a recipient address is invalid'],
  ['EMESSAGE', 'the message was refused before sending (too large for the server)'],
  ['ECONFIG', 'the SMTP settings are invalid'],
]);

/**
 * Classifies a failure of one send.
 *
 * @example classifySmtpFailure({ code: 'EENVELOPE', responseCode: 452, command: 'RCPT TO' }, 'envelope') // temporary
 */
export function classifySmtpFailure(error: SmtpErrorLike, stage: SmtpStage): SmtpFailure {
  const replyCode =
    typeof error.responseCode === 'number' && error.responseCode >= 200 && error.responseCode < 600
      ? error.responseCode
      : undefined;
  const base = {
    stage,
    ...(replyCode !== undefined ? { replyCode } : {}),
    ...(error.command ? { command: error.command } : {}),
  };
  if (replyCode !== undefined && replyCode >= 400) {
    const temporary = replyCode < 500;
    return {
      ...base,
      kind: temporary ? 'temporary' : 'permanent',
      maybeDelivered: false,
      reason: `${temporary ? 'temporary' : 'permanent'} refusal ${replyCode} at ${error.command ?? stage}`,
    };
  }
  if (stage === 'after-data') {
    return {
      ...base,
      kind: 'temporary',
      maybeDelivered: true,
      reason: 'the message was sent in full but no reply came: it may have been delivered',
    };
  }
  const code = error.code ?? '';
  if (TLS_CODES.test(error.originalCode ?? '') || TLS_CODES.test(code)) {
    return {
      ...base,
      kind: 'permanent',
      maybeDelivered: false,
      reason: 'the server certificate is not trusted (set SMTP_CA_FILE for a private CA)',
    };
  }
  const permanent = PERMANENT_WITHOUT_REPLY.get(code);
  if (
    permanent !== undefined &&
    !(code === 'ETLS' && /closed|timeout/i.test(error.message ?? ''))
  ) {
    return { ...base, kind: 'permanent', maybeDelivered: false, reason: permanent };
  }
  return {
    ...base,
    kind: 'temporary',
    maybeDelivered: false,
    reason: `no reply from the server (${code || 'connection failed'})`,
  };
}
