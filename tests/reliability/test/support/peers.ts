/**
 * The real peers a suite file runs its functions against: redis-server, the three webhook
 * stand-ins of `@veba-functions/notifier/testing`, and a vCenter (vcsim, or the `/api` stand-in of
 * `@veba-functions/vcenter/testing`) seen through one interface.
 */
import {
  startWebhookReceiver,
  type ReceiverKind,
  type WebhookReceiver,
} from '@veba-functions/notifier/testing';
import {
  startRedis,
  startVcsim,
  type RedisServer,
  type StartRedisOptions,
  type VcsimServer,
} from '@veba-functions/test-helpers';
import { createVCenterClient, type VCenterClient } from '@veba-functions/vcenter';
import type { ApiServer } from '@veba-functions/vcenter/testing';

/** What a function acts on outside itself (`none`: nothing, e.g. echo). */
export type UpstreamKind = 'none' | ReceiverKind | 'vcenter';

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

/** Every peer a function of the table may need. */
export interface Peers {
  readonly redis: RedisServer;
  readonly receivers: Readonly<Record<ReceiverKind, WebhookReceiver>>;
  readonly vcenter: VCenterPeer;
  /** The vcsim behind `vcenter` when it is vcsim (real actions, freeze). */
  readonly vcsim: VcsimServer | undefined;
  /** Makes the upstream of `kind` hold the next call it gets (a webhook) or every call (vCenter). */
  hold(kind: UpstreamKind): Hold;
  /** The secret values the peers hand the functions (webhook tokens and keys, passwords). */
  secrets(): string[];
  stop(): Promise<void>;
}

/** A webhook's secret parts: its token, and query values such as Google Chat's `key`. */
export function webhookSecrets(receiver: WebhookReceiver): string[] {
  const url = new URL(receiver.url);
  return [receiver.secret, ...url.searchParams.values()].filter((v) => v.length >= 16);
}

/** Options of {@link startPeers}. */
export interface StartPeersOptions {
  redis?: StartRedisOptions;
  /** Use this vCenter instead of a vcsim of the file's own. */
  vcenter?: VCenterPeer;
}

/** Starts Redis, the three webhook stand-ins and vcsim (unless `vcenter` is given). */
export async function startPeers(options: StartPeersOptions = {}): Promise<Peers> {
  const [redis, slack, teams, googleChat, vcsim] = await Promise.all([
    startRedis(options.redis),
    startWebhookReceiver('slack'),
    startWebhookReceiver('teams'),
    startWebhookReceiver('google-chat'),
    options.vcenter === undefined ? startVcsim() : Promise.resolve(undefined),
  ]);
  const vcenter = options.vcenter ?? vcsimPeer(vcsim!);
  const receivers = { slack, teams, 'google-chat': googleChat };
  return {
    redis,
    receivers,
    vcenter,
    vcsim,
    // vcsim's own password is a word too short and common to grep for.
    secrets: () =>
      [
        ...RECEIVER_KINDS.flatMap((kind) => webhookSecrets(receivers[kind])),
        vcenter.env.VCENTER_PASSWORD!,
      ].filter((secret) => secret.length >= 8),
    hold(kind) {
      if (kind === 'vcenter') return vcenter.hold();
      if (!isReceiverKind(kind)) throw new Error(`no upstream of kind ${kind} to hold`);
      // A destination gets one message at a time: calls behind the held one wait in the function.
      const receiver = receivers[kind];
      const posts = receiver.posts.length;
      receiver.script('hang');
      return { reached: () => receiver.posts.length > posts, release: () => undefined };
    },
    async stop() {
      await vcenter.close().catch(() => undefined);
      await Promise.all([
        slack.close(),
        teams.close(),
        googleChat.close(),
        redis.stop(),
        vcsim?.stop(),
      ]);
    },
  };
}
