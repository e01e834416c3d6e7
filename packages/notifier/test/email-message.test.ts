/**
 * The email renderer over the corpus and hostile event text: every piece of event text is
 * HTML-escaped in the HTML part, the subject stays one line, the Message-ID follows the event's
 * identity (the same for a redelivery, another for another event), alarms share a thread.
 */
import { describe, expect, it } from 'vitest';
import { emailMessageId, escapeHtml, renderEmailMessage } from '../src/email/email-message.js';
import { buildNotification } from '../src/model.js';
import { EXPECTED, corpusEvent, vsphereCorpusFiles } from './corpus.js';

describe('renderEmailMessage', () => {
  it.each(vsphereCorpusFiles().filter((f) => EXPECTED.get(f)?.outcome === 'posted'))(
    '%s: a subject, a text and an HTML part, a Message-ID',
    (file) => {
      const n = buildNotification(corpusEvent(file));
      const m = renderEmailMessage(n, { subjectPrefix: '[vc]', domain: 'corp.example' });
      expect(m.subject.startsWith('[vc] ')).toBe(true);
      expect(m.subject).not.toMatch(/[\r\n]/);
      expect(m.text).toContain(n.title);
      expect(m.html).toContain('<!DOCTYPE html>');
      expect(m.messageId).toMatch(/^<veba\.[0-9a-f]{32}@corp\.example>$/);
      for (const fact of n.facts) expect(m.text).toContain(fact.value.slice(0, 50));
    },
  );

  it('escapes every piece of event text in the HTML part and keeps the subject on one line', () => {
    const hostile = '<script>alert("x")</script>&\'\r\nBcc: victim@example.com';
    const n = buildNotification(
      corpusEvent('kn-ps-email__test-payload.json', {
        Vm: { Name: hostile, Vm: { Type: 'VirtualMachine', Value: 'vm-1' } },
        UserName: '<img src=x onerror=alert(1)>',
        FullFormattedMessage: `Removed ${hostile}`,
      }),
    );
    const m = renderEmailMessage(n);
    expect(m.html).not.toContain('<script>');
    expect(m.html).not.toContain('<img');
    expect(m.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
    expect(m.subject).not.toMatch(/[\r\n]/);
    expect(m.subject).toContain('Bcc: victim'); // text, on the subject line, not a header
  });

  it('the same event gives the same Message-ID (a redelivery), another event another one', () => {
    const a = renderEmailMessage(buildNotification(corpusEvent('kn-ps-email__test-payload.json')));
    const again = renderEmailMessage(
      buildNotification(corpusEvent('kn-ps-email__test-payload.json')),
    );
    expect(again.messageId).toBe(a.messageId);
    const other = buildNotification(
      corpusEvent('kn-ps-email__test-payload.json', { Key: 2040014 }),
    );
    // v0.8 identity is (source, id): the same id is the same event even with another Key.
    expect(renderEmailMessage(other).messageId).toBe(a.messageId);
    expect(emailMessageId({ source: 'https://vc/sdk', id: '2' })).not.toBe(
      emailMessageId({ source: 'https://vc/sdk', id: '1' }),
    );
    expect(emailMessageId({ source: 'a', id: 'b' }, 'bad domain<>')).toMatch(
      /@veba-functions\.invalid>$/,
    );
  });

  it('alarms of one alarm on one object share a References thread', () => {
    const red = buildNotification(corpusEvent('kn-ps-slack-vsphere-alarm__test-payload.json'));
    const green = buildNotification(
      corpusEvent('kn-ps-slack-vsphere-alarm__test-payload.json', { To: 'green', Key: 1 }),
    );
    expect(renderEmailMessage(red).references).toBeDefined();
    expect(renderEmailMessage(green).references).toBe(renderEmailMessage(red).references);
    expect(
      renderEmailMessage(buildNotification(corpusEvent('kn-ps-email__test-payload.json')))
        .references,
    ).toBeUndefined();
  });

  it('escapeHtml', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });
});
