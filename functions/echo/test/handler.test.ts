import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CloudEvent } from '@veba-functions/runtime';
import { SUMMARY_MAX_LENGTH, handleEcho, summarize, summarizeJson } from '../src/handler.js';

const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/drs-vm-powered-on.json', import.meta.url), 'utf8'),
) as {
  id: string;
  source: string;
  type: string;
  data: Record<string, unknown>;
};

describe('summarize', () => {
  it("uses a vSphere event's FullFormattedMessage", () => {
    expect(summarize(fixture.data)).toBe(
      'DRS powered on workload1 on esxi02.jarvis.lab in jarvis-lab',
    );
  });

  it('falls back to JSON, truncated to one short line', () => {
    const data = { Key: 1, Note: 'line one\nline two', Blob: 'x'.repeat(500) };
    const summary = summarize(data);
    expect(summary.length).toBe(SUMMARY_MAX_LENGTH);
    expect(summary.startsWith('{"Key":1,"Note":"line one\\nline two"')).toBe(true);
    expect(summary.endsWith('…')).toBe(true);
    expect(summary).not.toContain('\n');
  });

  it('puts a multi-line message on one line', () => {
    expect(summarize({ FullFormattedMessage: 'Alarm fired\r\n  on host-1' })).toBe(
      'Alarm fired on host-1',
    );
  });

  it('describes missing, text and binary data', () => {
    expect(summarize(undefined)).toBe('(no data)');
    expect(summarize(null)).toBe('(no data)');
    expect(summarize('plain text')).toBe('plain text');
    expect(summarize(Buffer.from([1, 2, 3]))).toBe('(3 bytes of binary data)');
  });

  it('ignores an empty or non-string FullFormattedMessage', () => {
    expect(summarize({ FullFormattedMessage: '', Key: 7 })).toBe(
      '{"FullFormattedMessage":"","Key":7}',
    );
    expect(summarize({ FullFormattedMessage: 42 })).toBe('{"FullFormattedMessage":42}');
  });
});

describe('summarizeJson (the body as received, unparsed)', () => {
  it('gives what summarize gives for the parsed body', () => {
    const samples: unknown[] = [
      fixture.data,
      { Key: 1, FullFormattedMessage: 'quote " and backslash \\ and \u00e9 and\nnewline' },
      { Key: 1, Note: 'x'.repeat(500) },
      { FullFormattedMessage: '', Key: 7 },
      { FullFormattedMessage: null, Key: 7 },
      [1, 2, 3],
    ];
    for (const data of samples) {
      expect(summarizeJson(Buffer.from(JSON.stringify(data)))).toBe(summarize(data));
    }
  });

  it('puts pretty-printed JSON on one line', () => {
    expect(summarizeJson(Buffer.from('{\n  "Key": 1,\n  "Vm": null\n}\n'))).toBe(
      '{ "Key": 1, "Vm": null }',
    );
  });
});

describe('handleEcho', () => {
  it('logs the summary at info and returns nothing (-> 204)', () => {
    const lines: string[] = [];
    const event = { ...fixture, specversion: '1.0' } as unknown as CloudEvent<unknown>;
    const result = handleEcho(event, {
      logger: { info: (message: string) => lines.push(message) } as never,
    });
    expect(result).toBeUndefined();
    expect(lines).toEqual(['DRS powered on workload1 on esxi02.jarvis.lab in jarvis-lab']);
  });
});
