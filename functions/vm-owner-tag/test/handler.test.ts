import { readFileSync } from 'node:fs';
import { CloudEvent } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  deliverToHandler,
  fixtureEvent,
  handlerContext,
  type CloudEventInput,
} from '@veba-functions/test-helpers';
import { VCenterError, type Tag } from '@veba-functions/vcenter';
import { config, type VmOwnerTagConfig } from '../src/config.js';
import { MAX_TAG_NAME, ownerOf, splitUser, tagNameFrom, type State } from '../src/handler.js';
import { createVmOwnerTag } from '../src/index.js';

/** One of this function's own recorded vcsim events (test/fixtures). */
function own(file: string): CloudEventInput {
  return JSON.parse(
    readFileSync(new URL(`./fixtures/${file}`, import.meta.url), 'utf8'),
  ) as CloudEventInput;
}

const shape = z.object(config);
const base = { VCENTER_SERVER: 'vc', VCENTER_USERNAME: 'u', VCENTER_PASSWORD: 'p' };
const settings = (keys: Record<string, unknown> = {}): VmOwnerTagConfig =>
  shape.parse({ ...base, ...keys });

const CATEGORY = {
  id: 'urn:cat:owner',
  name: 'Owner',
  description: '',
  cardinality: 'SINGLE',
  associableTypes: ['VirtualMachine'],
};
const tagOf = (name: string, categoryId = CATEGORY.id): Tag => ({
  id: `urn:tag:${name}`,
  name,
  description: '',
  categoryId,
});

/** A state over scripted vCenter answers, recording what the handler asks for. */
function fakeState(
  options: { onVm?: Tag[]; attach?: Array<Error | undefined>; read?: Error } = {},
) {
  const calls: string[] = [];
  const attachAnswers = [...(options.attach ?? [])];
  let created = 0;
  const state = {
    category: CATEGORY,
    ownerTag(name: string) {
      created += 1;
      calls.push(`ownerTag ${name}`);
      return Promise.resolve({ ...tagOf(name), id: `urn:tag:${name}:${created}` });
    },
    attached: {
      of(vm: string) {
        calls.push(`read ${vm}`);
        return options.read ? Promise.reject(options.read) : Promise.resolve(options.onVm ?? []);
      },
      close: () => Promise.resolve(),
    },
    associations: {
      attach(tagId: string, vm: string) {
        calls.push(`attach ${tagId} ${vm}`);
        const failure = attachAnswers.shift();
        return failure ? Promise.reject(failure) : Promise.resolve();
      },
      detach(tagId: string, vm: string) {
        calls.push(`detach ${tagId} ${vm}`);
        return Promise.resolve();
      },
      announce: () => ({ cancel: () => undefined }),
      close: () => Promise.resolve(),
    },
    arrivalOf: () => undefined,
  } as unknown as State;
  return { state, calls };
}

const definition = createVmOwnerTag();

/** What the runtime does with one delivery: parse once, then the handler; errors become statuses. */
const deliver = (input: CloudEventInput, state: State, keys: Record<string, unknown> = {}) =>
  deliverToHandler(
    definition,
    new CloudEvent<unknown>(input, false),
    handlerContext<State, VmOwnerTagConfig>({ state, config: settings(keys) }),
    { level: 'info' },
  );

describe('ownerOf: the owner tag name from the event user', () => {
  const defaults = settings();

  it.each([
    ['VSPHERE.LOCAL\\alice', 'alice'],
    ['alice@corp.local', 'alice'],
    ['CORP\\Alice', 'alice'],
    ['bob', 'bob'],
  ])('%s -> %s', (user, tag) => {
    expect(ownerOf(user, defaults)).toEqual({ tagName: tag });
  });

  it('fills {domain} and {fullUser}', () => {
    expect(ownerOf('CORP\\alice', settings({ OWNER_TAG_TEMPLATE: '{user} ({domain})' }))).toEqual({
      tagName: 'alice (corp)',
    });
    expect(
      ownerOf('alice@corp.local', settings({ OWNER_TAG_TEMPLATE: 'owner:{fullUser}' })),
    ).toEqual({
      tagName: 'owner:alice@corp.local',
    });
    expect(splitUser('VSPHERE.LOCAL\\svc-x')).toEqual({
      user: 'svc-x',
      domain: 'vsphere.local',
      fullUser: 'vsphere.local\\svc-x',
    });
  });

  it('OWNER_USER_MAP: a key matches the full user or the user without its domain; "" records no owner', () => {
    const map = settings({
      OWNER_USER_MAP: JSON.stringify({
        'svc-terraform': 'alice',
        'CORP\\svc-capv': 'CORP\\bob',
        'svc-aria': '',
      }),
    });
    expect(ownerOf('VSPHERE.LOCAL\\svc-terraform', map)).toEqual({ tagName: 'alice' });
    expect(ownerOf('svc-terraform@corp.local', map)).toEqual({ tagName: 'alice' });
    expect(ownerOf('corp\\SVC-CAPV', map)).toEqual({ tagName: 'bob' });
    expect(ownerOf('OTHER\\svc-capv', map)).toEqual({ tagName: 'svc-capv' });
    expect(ownerOf('VSPHERE.LOCAL\\svc-aria', map)).toEqual({
      skipped: 'VSPHERE.LOCAL\\svc-aria records no owner (OWNER_USER_MAP)',
    });
  });

  it('never matches inherited keys: users called constructor, toString or __proto__ are users like any other', () => {
    const empty = settings({ OWNER_USER_MAP: '{}' });
    expect(ownerOf('constructor', empty)).toEqual({ tagName: 'constructor' });
    expect(ownerOf('CORP\\toString', empty)).toEqual({ tagName: 'tostring' });
    expect(ownerOf('__proto__', empty)).toEqual({ tagName: '__proto__' });
    // an own key of that name is honoured
    expect(ownerOf('__proto__', settings({ OWNER_USER_MAP: '{"__proto__":"bob"}' }))).toEqual({
      tagName: 'bob',
    });
  });

  it('no UserName, or one that leaves nothing: skipped with the reason', () => {
    expect(ownerOf(undefined, defaults)).toEqual({
      skipped: 'the event has no UserName: no owner to record',
    });
    expect(ownerOf('CORP\\', defaults)).toEqual({
      skipped: 'CORP\\ gives an empty owner tag name',
    });
  });
});

describe('tagNameFrom: names vCenter accepts', () => {
  it('drops control and format characters and collapses whitespace', () => {
    expect(tagNameFrom(' ali\u0000ce\u200b  \t smith\n')).toBe('alice smith');
  });

  it(`cuts a name longer than ${MAX_TAG_NAME} characters, keeping two long names apart`, () => {
    const a = tagNameFrom(`${'x'.repeat(300)}a`);
    const b = tagNameFrom(`${'x'.repeat(300)}b`);
    expect([...a]).toHaveLength(MAX_TAG_NAME);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^x+~[0-9a-f]{8}$/);
  });
});

describe('vm-owner-tag handle(event, ctx)', () => {
  it('a clone is owned by the user who cloned it: the clone (Vm) gets the tag', async () => {
    const { state, calls } = fakeState();
    const answer = await deliver(own('vcsim-clone__VmClonedEvent.json'), state);
    expect(answer.result).toEqual({
      status: 200,
      body: {
        vm: 'vm-70',
        vmName: 'web-07',
        user: 'CORP\\alice',
        owner: 'alice',
        tagId: 'urn:tag:alice:1',
        result: 'attached',
      },
    });
    expect(calls).toEqual(['read vm-70', 'ownerTag alice', 'attach urn:tag:alice:1 vm-70']);
    expect(answer.logs).toEqual(['vm-70 (web-07) is owned by alice']);
  });

  it('VmBeingClonedEvent is skipped: its Vm is the source VM', async () => {
    const { state, calls } = fakeState();
    const answer = await deliver(own('vcsim-clone__VmBeingClonedEvent.json'), state);
    expect(answer.result).toEqual({ skipped: 'type not handled: VmBeingClonedEvent' });
    expect(calls).toEqual([]);
  });

  it('VmCreatedEvent by a service account mapped to its owner, and the corpus VmDeployedEvent', async () => {
    const created = fakeState();
    await deliver(own('vcsim-create__VmCreatedEvent.json'), created.state, {
      OWNER_USER_MAP: '{"svc-terraform":"VSPHERE.LOCAL\\\\carol"}',
    });
    expect(created.calls).toContain('ownerTag carol');
    const deployed = fakeState();
    const answer = await deliver(
      fixtureEvent('legacy/kn-py-cbc-slack-PR928__deploy.json'),
      deployed.state,
    );
    expect(answer.result).toMatchObject({
      body: { vm: 'vm-56', owner: 'administrator', result: 'attached' },
    });
  });

  it('a VM that has this owner already: unchanged, no call', async () => {
    const { state, calls } = fakeState({ onVm: [{ ...tagOf('alice'), id: 'urn:tag:alice:1' }] });
    const answer = await deliver(own('vcsim-clone__VmClonedEvent.json'), state);
    expect(answer.result).toMatchObject({ body: { result: 'unchanged' } });
    expect(calls.filter((c) => c.startsWith('attach') || c.startsWith('detach'))).toEqual([]);
  });

  it('a VM with another owner keeps it (logged) unless OWNER_TAG_REPLACE; tags of other categories do not count', async () => {
    const onVm = [tagOf('bob'), tagOf('prod', 'urn:cat:env')];
    const kept = fakeState({ onVm });
    const answer = await deliver(own('vcsim-clone__VmClonedEvent.json'), kept.state);
    expect(answer.result).toMatchObject({
      body: { owner: 'bob', result: 'kept', tagId: 'urn:tag:bob' },
    });
    expect(answer.logs).toEqual([
      'vm-70 keeps its owner tag bob (not alice: OWNER_TAG_REPLACE is off)',
    ]);
    expect(kept.calls.filter((c) => c.startsWith('attach'))).toEqual([]);

    const replaced = fakeState({ onVm });
    const again = await deliver(own('vcsim-clone__VmClonedEvent.json'), replaced.state, {
      OWNER_TAG_REPLACE: 'true',
    });
    expect(again.result).toMatchObject({ body: { owner: 'alice', result: 'replaced' } });
    expect(replaced.calls.slice(-2)).toEqual([
      'detach urn:tag:bob vm-70',
      'attach urn:tag:alice:1 vm-70',
    ]);

    const unrelated = fakeState({ onVm: [tagOf('prod', 'urn:cat:env')] });
    expect(
      (await deliver(own('vcsim-clone__VmClonedEvent.json'), unrelated.state)).result,
    ).toMatchObject({
      body: { result: 'attached' },
    });
  });

  it('an owner tag deleted since it was cached is found or created again once', async () => {
    const { state, calls } = fakeState({
      attach: [new VCenterError('gone', { type: 'TAG_NOT_FOUND', retryable: false })],
    });
    const answer = await deliver(own('vcsim-clone__VmClonedEvent.json'), state);
    expect(answer.result).toMatchObject({ body: { tagId: 'urn:tag:alice:2', result: 'attached' } });
    expect(calls.filter((c) => c.startsWith('ownerTag'))).toHaveLength(2);
  });

  it.each([
    [
      'the VM no longer exists',
      new VCenterError('gone', { type: 'NOT_FOUND', objectId: 'vm-70' }),
      400,
    ],
    ['vCenter down', new VCenterError('down', { type: 'NETWORK_ERROR' }), 503],
    [
      'no privilege to create the tag',
      new VCenterError('403', { type: 'UNAUTHORIZED', status: 403 }),
      502,
    ],
  ])('%s', async (_name, error, status) => {
    const { state } = fakeState({ attach: [error] });
    expect((await deliver(own('vcsim-clone__VmClonedEvent.json'), state)).status).toBe(status);
  });

  it('an event without a usable Vm answers 400; one without UserName is skipped', async () => {
    const event = own('vcsim-clone__VmClonedEvent.json');
    const { state, calls } = fakeState();
    const noVm = await deliver({ ...event, data: { ...(event.data as object), Vm: null } }, state);
    expect(noVm.status).toBe(400);
    const noUser = await deliver(
      { ...event, data: { ...(event.data as object), UserName: '' } },
      state,
    );
    expect(noUser.result).toEqual({ skipped: 'the event has no UserName: no owner to record' });
    expect(calls).toEqual([]);
  });
});

describe('configuration', () => {
  it('defaults: category Owner, template {user}, no map, keep existing owners', () => {
    const c = settings();
    expect(c.OWNER_TAG_CATEGORY).toBe('Owner');
    expect(c.OWNER_TAG_TEMPLATE).toBe('{user}');
    expect(c.OWNER_USER_MAP.size).toBe(0);
    expect(c.OWNER_TAG_REPLACE).toBe(false);
  });

  it('refuses a template without a known placeholder, and a map that is not an object of strings', () => {
    expect(shape.safeParse({ ...base, OWNER_TAG_TEMPLATE: 'owner' }).success).toBe(false);
    expect(shape.safeParse({ ...base, OWNER_TAG_TEMPLATE: '{user}-{date}' }).success).toBe(false);
    expect(shape.safeParse({ ...base, OWNER_USER_MAP: '[1]' }).success).toBe(false);
    expect(shape.safeParse({ ...base, OWNER_USER_MAP: '{"a": 1}' }).success).toBe(false);
    expect(shape.safeParse({ ...base, OWNER_USER_MAP: '{oops' }).success).toBe(false);
    // inside a JSON secret the map may be an object already
    expect(
      shape.parse({ ...base, OWNER_USER_MAP: { 'svc-a': 'alice' } }).OWNER_USER_MAP.get('svc-a'),
    ).toBe('alice');
  });
});
