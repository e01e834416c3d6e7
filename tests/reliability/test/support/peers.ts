/**
 * The real peers a suite file runs its functions against: redis-server, the stand-ins of
 * `@veba-functions/notifier/testing` (the three chat webhooks, PagerDuty's Events API v2, a
 * Standard Webhooks receiver with two rotating secrets) and of `/testing/smtp` (a real SMTP server
 * with STARTTLS under a CA of its own and AUTH), and a vCenter (vcsim, or the `/api` stand-in of
 * `@veba-functions/vcenter/testing`) seen through one interface.
 */
import { randomBytes } from 'node:crypto';
import {
  newWebhookSecret,
  startPagerDutyReceiver,
  startStandardWebhookReceiver,
  startWebhookReceiver,
  type PagerDutyReceiver,
  type ReceiverKind,
  type StandardWebhookReceiver,
  type WebhookReceiver,
} from '@veba-functions/notifier/testing';
import { startSmtpReceiver, type SmtpReceiver } from '@veba-functions/notifier/testing/smtp';
import {
  startRedis,
  startVcsim,
  type RedisServer,
  type StartRedisOptions,
  type VcsimServer,
} from '@veba-functions/test-helpers';
import { createVCenterClient, type VCenterClient } from '@veba-functions/vcenter';
import type { ApiServer } from '@veba-functions/vcenter/testing';
import { base64Inside } from './secrets.js';

/**
 * What a function acts on outside itself (`none`: nothing, e.g. echo): a chat webhook, an SMTP
 * server, PagerDuty's Events API, a Standard Webhooks receiver, vCenter.
 */
export type UpstreamKind = 'none' | ReceiverKind | 'smtp' | 'pagerduty' | 'webhook' | 'vcenter';

/** The webhook stand-ins of `@veba-functions/notifier/testing`. */
export const RECEIVER_KINDS: readonly ReceiverKind[] = ['slack', 'teams', 'google-chat'];

/** True for an upstream that is one of the webhook stand-ins. */
export function isReceiverKind(kind: UpstreamKind): kind is ReceiverKind {
  return (RECEIVER_KINDS as readonly string[]).includes(kind);
}

/** An upstream made to hold the calls it gets, unanswered. */
export interface Hold {
  /** True once a call has reached it and is being held. */
  reached(): boolean;
  /** Answers calls again (the held ones stay unanswered). */
  release(): void;
}

/** What a vCenter function tags with, by purpose (one tag per function, so effects never mix). */
export type TagPurpose = 'power-on' | 'vm-tag' | 'owner';

/** A tag by category and name. */
export interface TagName {
  category: string;
  name: string;
}

/** A vCenter the functions talk to, and what the suite needs to set it up and check it. */
export interface VCenterPeer {
  readonly kind: 'vcsim' | 'api';
  /** The connection keys (`VCENTER_SERVER`, credentials, CA, flavour). */
  readonly env: Record<string, string>;
  /** A client of the suite's own, to check effects. */
  readonly admin: VCenterClient;
  /** The tag a function attaches: on vcsim created on first use; on the `/api` stand-in one of its two. */
  tag(purpose: TagPurpose): TagName;
  /** The VMs among `vms` carrying `tag`. */
  tagged(tag: TagName, vms: readonly string[]): Promise<Set<string>>;
  /** From now on, tagging calls get no answer. */
  hold(): Hold;
  close(): Promise<void>;
}

function peerOf(
  kind: 'vcsim' | 'api',
  env: Record<string, string>,
  admin: VCenterClient,
  tag: (purpose: TagPurpose) => TagName,
  hold: () => Hold,
): VCenterPeer {
  return {
    kind,
    env,
    admin,
    tag,
    hold,
    async tagged(name, vms) {
      const tag = await admin.tagging.findTag(name.category, name.name);
      if (tag === undefined) return new Set();
      const attached = await admin.tagging.listAttachedTagsOnVms([...vms]);
      return new Set(vms.filter((vm) => attached.get(vm)?.includes(tag.id)));
    },
    close: () => admin.close(),
  };
}

/** vcsim as the functions' vCenter (`/rest`, TLS with its own CA). */
export function vcsimPeer(vcsim: VcsimServer): VCenterPeer {
  const env = {
    VCENTER_SERVER: vcsim.url,
    VCENTER_USERNAME: vcsim.username,
    VCENTER_PASSWORD: vcsim.password,
    VCENTER_CA_FILE: vcsim.caFile,
  };
  const admin = createVCenterClient({
    server: vcsim.url,
    username: vcsim.username,
    password: vcsim.password,
    ca: vcsim.caFile,
    keepAliveIntervalMs: 0,
  });
  // A category per purpose: functions creating their categories at once never race for one.
  return peerOf(
    'vcsim',
    env,
    admin,
    (purpose) => ({ category: `reliability-${purpose}`, name: `reliability-${purpose}` }),
    () => {
      // Frozen: every call hangs, including the suite's own until the release.
      vcsim.freeze();
      return { reached: () => true, release: () => vcsim.thaw() };
    },
  );
}

/** The `/api` stand-in as the functions' vCenter: its fixed category `Lifecycle` and two tags. */
export function apiPeer(api: ApiServer): VCenterPeer {
  const env = {
    VCENTER_SERVER: api.url,
    VCENTER_USERNAME: api.username,
    VCENTER_PASSWORD: api.password,
    VCENTER_API_FLAVOUR: 'api',
  };
  const admin = createVCenterClient({
    server: api.url,
    username: api.username,
    password: api.password,
    flavour: 'api',
    keepAliveIntervalMs: 0,
  });
  return peerOf(
    'api',
    env,
    admin,
    (purpose) => ({ category: 'Lifecycle', name: purpose === 'power-on' ? 'PoweredOn' : 'Other' }),
    () => {
      const held = api.held();
      api.hang('/api/cis/tagging/tag-association');
      return { reached: () => api.held() > held, release: () => api.release() };
    },
  );
}

/** The SMTP server and the credentials it wants (AUTH; both are secrets, the user name too). */
export interface SmtpPeer {
  readonly server: SmtpReceiver;
  readonly username: string;
  readonly password: string;
}

/** Every peer a function of the table may need. */
export interface Peers {
  readonly redis: RedisServer;
  readonly receivers: Readonly<Record<ReceiverKind, WebhookReceiver>>;
  readonly smtp: SmtpPeer;
  readonly pagerduty: PagerDutyReceiver;
  /** A Standard Webhooks receiver verifying with two secrets (a rotation in progress). */
  readonly webhook: StandardWebhookReceiver;
  readonly vcenter: VCenterPeer;
  /** The vcsim behind `vcenter` when it is vcsim (real actions, freeze). */
  readonly vcsim: VcsimServer | undefined;
  /**
   * Makes the upstream of `kind` hold the next `calls` calls it gets (default 1), unanswered, or
   * every call (vCenter). A notifier sends one message at a time per destination, so one held call
   * holds every event behind it; webhook-forward calls for each event at once.
   */
  hold(kind: UpstreamKind, calls?: number): Hold;
  /** The secret values the peers hand the functions (tokens, keys, user names, passwords). */
  secrets(): string[];
  stop(): Promise<void>;
}

/** A webhook's secret parts: its token, and query values such as Google Chat's `key`. */
export function webhookSecrets(receiver: WebhookReceiver): string[] {
  const url = new URL(receiver.url);
  return [receiver.secret, ...url.searchParams.values()].filter((v) => v.length >= 16);
}

/**
 * The SMTP credentials and what `AUTH PLAIN` makes of them (RFC 4616: base64 of
 * `\0user\0password`): the whole token, and the stretch of it that encodes the password alone.
 * `AUTH LOGIN` sends each as base64 of its own, which `secretForms` covers.
 */
export function smtpSecrets(smtp: SmtpPeer): string[] {
  const plain = Buffer.from(`\0${smtp.username}\0${smtp.password}`).toString('base64');
  return [smtp.username, smtp.password, plain, base64Inside(`\0${smtp.username}\0`, smtp.password)];
}

/**
 * The Standard Webhooks receiver's secrets: the URL's token, and each signing secret whole and
 * as the base64 key after `whsec_` (what a receiver's library decodes, and may quote).
 */
export function standardWebhookSecrets(receiver: StandardWebhookReceiver): string[] {
  return [
    receiver.token,
    ...receiver.secrets.flatMap((secret) => [secret, secret.slice('whsec_'.length)]),
  ];
}

/** Options of {@link startPeers}. */
export interface StartPeersOptions {
  redis?: StartRedisOptions;
  /** Use this vCenter instead of a vcsim of the file's own. */
  vcenter?: VCenterPeer;
}

/** Starts Redis, the notifier stand-ins and vcsim (unless `vcenter` is given). */
export async function startPeers(options: StartPeersOptions = {}): Promise<Peers> {
  const credentials = {
    username: `veba-${randomBytes(6).toString('hex')}@reliability.example`,
    password: `Smtp-${randomBytes(12).toString('base64url')}`,
  };
  const [redis, slack, teams, googleChat, smtpServer, pagerduty, webhook, vcsim] =
    await Promise.all([
      startRedis(options.redis),
      startWebhookReceiver('slack'),
      startWebhookReceiver('teams'),
      startWebhookReceiver('google-chat'),
      startSmtpReceiver({ tls: 'starttls', auth: credentials }),
      startPagerDutyReceiver(),
      startStandardWebhookReceiver({ secrets: [newWebhookSecret(), newWebhookSecret()] }),
      options.vcenter === undefined ? startVcsim() : Promise.resolve(undefined),
    ]);
  const vcenter = options.vcenter ?? vcsimPeer(vcsim!);
  const receivers = { slack, teams, 'google-chat': googleChat };
  const smtp: SmtpPeer = { server: smtpServer, ...credentials };
  /** A stand-in answering its next `calls` requests with `hang`. */
  function holdRequests(
    requests: () => number,
    hang: (answers: 'hang'[]) => void,
    calls: number,
  ): Hold {
    const before = requests();
    hang(Array.from({ length: calls }, () => 'hang' as const));
    return { reached: () => requests() >= before + calls, release: () => undefined };
  }
  return {
    redis,
    receivers,
    smtp,
    pagerduty,
    webhook,
    vcenter,
    vcsim,
    // vcsim's own password is a word too short and common to grep for.
    secrets: () =>
      [
        ...RECEIVER_KINDS.flatMap((kind) => webhookSecrets(receivers[kind])),
        ...smtpSecrets(smtp),
        pagerduty.routingKey,
        ...standardWebhookSecrets(webhook),
        vcenter.env.VCENTER_PASSWORD!,
      ].filter((secret) => secret.length >= 8),
    hold(kind, calls = 1) {
      switch (kind) {
        case 'vcenter':
          return vcenter.hold();
        case 'smtp': {
          // The whole message arrives and its reply never comes (a relay stalled after DATA).
          const before = smtpServer.unanswered.length;
          for (let i = 0; i < calls; i += 1) smtpServer.script({ stage: 'after-data', hang: true });
          return {
            reached: () => smtpServer.unanswered.length >= before + calls,
            release: () => undefined,
          };
        }
        case 'pagerduty':
          return holdRequests(
            () => pagerduty.requests.length,
            (answers) => pagerduty.script(...answers),
            calls,
          );
        case 'webhook':
          return holdRequests(
            () => webhook.requests.length,
            (answers) => webhook.script(...answers),
            calls,
          );
        case 'none':
          throw new Error('no upstream of kind none to hold');
        default: {
          const receiver = receivers[kind];
          return holdRequests(
            () => receiver.posts.length,
            (answers) => receiver.script(...answers),
            calls,
          );
        }
      }
    },
    async stop() {
      await vcenter.close().catch(() => undefined);
      await Promise.all([
        slack.close(),
        teams.close(),
        googleChat.close(),
        smtpServer.close(),
        pagerduty.close(),
        webhook.close(),
        redis.stop(),
        vcsim?.stop(),
      ]);
    },
  };
}
