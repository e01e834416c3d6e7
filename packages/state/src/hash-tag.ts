import { keyPart } from './keys.js';

/**
 * Keys that share one Redis Cluster hash slot, for a script that must touch several keys
 * atomically (a Cluster refuses a script whose keys live in different slots: CROSSSLOT).
 * Redis hashes only the part between the first `{` and the next `}` of a key, so every key built
 * from the same `tag` lands on the same slot, and therefore the same node:
 * `hashTagged('dedupe:fn', 'a')` → `{dedupe%3Afn}:a`. Parts are encoded like every key part
 * (`keyPart`), which also encodes `{` and `}`, so a part can never open a second tag.
 *
 * Today every script touches one key and needs no tag. A tag puts all of its keys on one node,
 * so tag by the narrowest thing the keys really share (one event, one scope), never globally.
 * A store `keyPrefix` containing `{...}` would itself become the tag of every key (one slot for
 * everything): keep braces out of prefixes.
 *
 * @example
 * const [record, audit] = [hashTagged(scope, 'record'), hashTagged(scope, 'audit')];
 */
export function hashTagged(tag: string, ...parts: string[]): string {
  return [`{${keyPart(tag)}}`, ...parts.map(keyPart)].join(':');
}
