import { describe, expect, it } from 'vitest';
import type { TagMatch } from '@veba-functions/vcenter';
import { createTagLookup } from '../src/tag-lookup.js';
import { type TagRef, TagNotConfiguredError, createTagResolver } from '../src/tag-resolver.js';

const tag = (id: string, categoryId = 'cat-1', name = 'powered-on'): TagMatch => ({
  id,
  name,
  categoryId,
  categoryName: `${categoryId} name`,
  description: '',
});

describe('createTagResolver', () => {
  it('init fails with a clear message when the tag is missing and creation is off', async () => {
    const tags = createTagResolver({
      describe: '"powered-on" in category "ops"',
      find: () => Promise.resolve(undefined),
    });

    const error = await tags.init().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TagNotConfiguredError);
    expect((error as Error).message).toMatch(
      /tag "powered-on" in category "ops" does not exist in vCenter/,
    );
    expect((error as Error).message).toMatch(/VCENTER_TAG_CREATE_IF_MISSING=true/);
  });

  it('init creates the tag when allowed', async () => {
    const tags = createTagResolver({
      describe: 'x',
      find: () => Promise.resolve(undefined),
      create: () => Promise.resolve({ id: 'new', name: 'powered-on' }),
    });

    await expect(tags.init()).resolves.toEqual({ id: 'new', name: 'powered-on' });
    expect(tags.current().id).toBe('new');
  });

  it('refresh looks the tag up once for all concurrent callers, and not at all once replaced', async () => {
    let lookups = 0;
    let id = 'old';
    const tags = createTagResolver({
      describe: 'x',
      find: () => {
        lookups += 1;
        return Promise.resolve<TagRef>({ id, name: 'powered-on' });
      },
    });
    await tags.init();
    id = 'new';
    lookups = 0;

    const results = await Promise.all([
      tags.refresh('old'),
      tags.refresh('old'),
      tags.refresh('old'),
    ]);
    const later = await tags.refresh('old');

    expect(results.map((r) => r?.id)).toEqual(['new', 'new', 'new']);
    expect(later?.id).toBe('new');
    expect(lookups).toBe(1);
  });

  it('refresh answers undefined while the tag stays missing, and keeps the old id', async () => {
    let present = true;
    const tags = createTagResolver({
      describe: 'x',
      find: () => Promise.resolve(present ? { id: 'old', name: 'n' } : undefined),
    });
    await tags.init();
    present = false;

    await expect(tags.refresh('old')).resolves.toBeUndefined();
    expect(tags.current().id).toBe('old');
  });
});

describe('createTagLookup', () => {
  const tagging = (found: TagMatch[]) => {
    const calls: string[] = [];
    return {
      calls,
      findTag: (category: string, name: string) => {
        calls.push(`find ${category}/${name}`);
        return Promise.resolve(found[0]);
      },
      ensureTag: (category: string, name: string, options?: { create?: boolean }) => {
        calls.push(`ensure ${category}/${name} create=${String(options?.create)}`);
        return Promise.resolve(tag('created'));
      },
      findTagsByName: (name: string) => {
        calls.push(`search ${name}`);
        return Promise.resolve(found);
      },
    };
  };

  it('with a category: finds the tag inside it, creates it only when allowed', async () => {
    const t = tagging([]);
    const lookup = createTagLookup(t, {
      tagName: 'powered-on',
      category: 'ops',
      createIfMissing: true,
    });

    await expect(lookup.find()).resolves.toBeUndefined();
    await expect(lookup.create?.()).resolves.toEqual({ id: 'created', name: 'powered-on' });
    expect(t.calls).toEqual(['find ops/powered-on', 'ensure ops/powered-on create=true']);
    expect(
      createTagLookup(t, { tagName: 'p', category: 'ops', createIfMissing: false }).create,
    ).toBeUndefined();
  });

  it('without a category: finds a unique name across categories', async () => {
    const lookup = createTagLookup(tagging([tag('t1')]), {
      tagName: 'powered-on',
      category: undefined,
      createIfMissing: false,
    });

    await expect(lookup.find()).resolves.toEqual({ id: 't1', name: 'powered-on' });
  });

  it('without a category: an ambiguous name fails, naming the categories', async () => {
    const lookup = createTagLookup(tagging([tag('t1', 'cat-a'), tag('t2', 'cat-b')]), {
      tagName: 'powered-on',
      category: undefined,
      createIfMissing: false,
    });

    await expect(lookup.find()).rejects.toThrow(
      /exists in 2 categories \("cat-a name", "cat-b name"\): set VCENTER_TAG_CATEGORY/,
    );
  });

  it('creation without a category is refused (no category to create it in)', () => {
    expect(() =>
      createTagLookup(tagging([]), { tagName: 'p', category: undefined, createIfMissing: true }),
    ).toThrow(/VCENTER_TAG_CREATE_IF_MISSING=true needs VCENTER_TAG_CATEGORY/);
  });
});
