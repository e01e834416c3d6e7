import { describe, expect, it } from 'vitest';
import { createTeamsTarget } from '@veba-functions/notifier';
import {
  itMapsUnavailable,
  itRefusesMissingEntities,
  itSendsOrRefusesEverySample,
  triggeredSamples,
  useWebhookAlertHandler,
  vsphereSample,
} from '@veba-functions/notifier/testing/function';
import { handle } from '../src/handler.js';

/** What values.yaml's Triggers select (`type: com.vmware.vsphere.<class>.v0`) from the corpus. */
const { classes, files } = triggeredSamples(new URL('../values.yaml', import.meta.url));

const teams = useWebhookAlertHandler(
  'teams',
  (pretext) => createTeamsTarget({ pretext }),
  'TEAMS_WEBHOOK_URL',
);

describe('teams-alert handle(event, ctx)', () => {
  it('the Triggers select corpus samples of every kind they name', () => {
    expect(classes).toContain('AlarmStatusChangedEvent');
    expect(classes).toContain('com.vmware.applmgmt.backup.job.failed.event');
    expect(files.length).toBeGreaterThanOrEqual(17);
  });

  itSendsOrRefusesEverySample(files, teams, handle);

  it('logs one line per posted event', async () => {
    const ctx = await teams.context('vc-prod');
    await handle(vsphereSample('kn-ps-slack__test-payload.json'), ctx);
    expect(JSON.stringify(teams.receiver.posts[0]!.body)).toContain('VM powered off');
    expect(
      ctx.logs.messages('info').filter((m) => m.startsWith('posted Microsoft Teams message')),
    ).toHaveLength(1);
  });

  itRefusesMissingEntities(teams, handle);

  // The Workflows trigger's 503.
  itMapsUnavailable(teams, handle, {
    script: (receiver) => receiver.script({ status: 503, body: 'unavailable' }),
  });
});
