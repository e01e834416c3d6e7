/**
 * Every function is in the fault suite: a folder under functions/ without an entry in the table
 * (support/functions.ts) fails here, so a new function cannot ship without its fault coverage.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './support/child-function.js';
import { FUNCTIONS } from './support/functions.js';

const folders = readdirSync(join(repoRoot, 'functions'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(repoRoot, 'functions', d.name, 'package.json')))
  .map((d) => d.name)
  .sort();

describe('the reliability table', () => {
  it('has one entry per folder under functions/, and no other', () => {
    expect(folders.length).toBeGreaterThan(0);
    expect(FUNCTIONS.map((e) => e.name).sort()).toEqual(folders);
  });

  it.each(FUNCTIONS.map((e) => [e.name, e] as const))(
    '%s: its factory builds the function of that name, and its built entry point exists',
    (name, e) => {
      expect(e.create({ keyPrefix: 'coverage:', unpaced: false }).name).toBe(name);
      expect(existsSync(join(repoRoot, 'functions', name, 'dist', 'main.js'))).toBe(true);
    },
  );

  it('every function with an upstream has effects the suite can count', () => {
    const uncounted = FUNCTIONS.filter((e) => e.upstream !== 'none' && e.effects === undefined);
    expect(uncounted.map((e) => e.name)).toEqual([]);
  });
});
