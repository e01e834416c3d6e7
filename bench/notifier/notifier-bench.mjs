// Storm digests end to end: slack-alert (built) over HTTP, paced at Slack's documented one message
// per second per webhook, against the local Slack stand-in. Two figures, each against a baseline
// measured in the same run:
// - storm: N events spread evenly over S seconds (default 300 in 5 s), sent as the broker does
//   (binary mode, not waiting for answers); reports when the last answer came, how many Slack
//   messages carried them, and checks none is missing (every event answered 200 posted, and the
//   events the messages carry add up to N). Baseline: one message per event at the same pace.
// - lone event: after a quiet period, the time from sending one event to its message reaching the
//   stand-in (median of 7), against a bare POST of a message to the same stand-in.
// Runs in memory and with a real redis-server (REDIS_URL set: shared bucket, dedupe in Redis).
// Usage: node bench/notifier/notifier-bench.mjs [--events 300] [--seconds 5]
// Needs `npm run build` (slack-alert, the notifier, the runtime and test-helpers).
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startWebhookReceiver } from '@veba-functions/notifier/testing';
import { startFunction } from '@veba-functions/runtime';
import { createSlackAlert } from '@veba-functions/slack-alert';
import { fixtureEvent, sendCloudEvent, startRedis } from '@veba-functions/test-helpers';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '300' },
    seconds: { type: 'string', default: '5' },
  },
});
const EVENTS = Number(values.events);
const SECONDS = Number(values.seconds);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const silent = { write() {} };

async function startSlackAlert(receiver, env) {
  return startFunction(createSlackAlert(), {
    env: {
      SLACK_WEBHOOK_URL: receiver.url,
      FUNCTION_TIMEOUT_SECONDS: '60',
      LOG_LEVEL: 'warn',
      ...env,
    },
    port: 0,
    host: '127.0.0.1',
    logDestination: silent,
  });
}

const powerOff = (id, i) =>
  fixtureEvent('kn-ps-slack__test-payload.json', {
    id,
    data: {
      ...fixtureEvent('kn-ps-slack__test-payload.json').data,
      Key: 100_000 + i,
      Vm: { Name: `bench-vm-${i}`, Vm: { Type: 'VirtualMachine', Value: `vm-${i}` } },
    },
  });

/** How many events a message carries: a digest says "N vSphere events", a single message 1. */
function eventsIn(post) {
  const match = /^(?:.*\n)?:bell: (\d+) vSphere events/.exec(post.body.text ?? '');
  return match ? Number(match[1]) : 1;
}

async function storm(label, env) {
  const receiver = await startWebhookReceiver('slack');
  const fn = await startSlackAlert(receiver, env);
  const run = `${label}-${Date.now()}`;
  const started = performance.now();
  const answers = [];
  for (let i = 0; i < EVENTS; i++) {
    const due = started + (i * SECONDS * 1000) / EVENTS;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    answers.push(
      sendCloudEvent(fn.url, powerOff(`${run}-${i}`, i)).then((reply) => ({
        reply,
        at: performance.now() - started,
      })),
    );
  }
  const settled = await Promise.all(answers);
  const lastAnswerS = Math.max(...settled.map((a) => a.at)) / 1000;
  const posted = settled.filter((a) => a.reply.status === 200 && a.reply.json().posted === true);
  const carried = receiver.posts.map(eventsIn).reduce((a, b) => a + b, 0);
  const statuses = {};
  for (const a of settled) statuses[a.reply.status] = (statuses[a.reply.status] ?? 0) + 1;
  await fn.stop();
  await receiver.close();
  return {
    label,
    events: EVENTS,
    lastAnswerS,
    messages: receiver.posts.length,
    answered200: posted.length,
    carried,
    missing: EVENTS - Math.min(posted.length, carried),
    statuses,
    baselineMessages: EVENTS,
    baselineSeconds: EVENTS, // one message per event at one per second
  };
}

async function lone(label, env) {
  const receiver = await startWebhookReceiver('slack');
  const fn = await startSlackAlert(receiver, env);
  const viaFunction = [];
  const bare = [];
  const body = JSON.stringify({ text: 'bare', blocks: [] });
  for (let i = 0; i < 7; i++) {
    await sleep(1100); // the bucket refills: the event finds a free slot
    const before = receiver.posts.length;
    const t0 = Date.now();
    const reply = await sendCloudEvent(fn.url, powerOff(`lone-${label}-${Date.now()}-${i}`, i));
    if (reply.status !== 200) throw new Error(`lone event answered ${reply.status}`);
    viaFunction.push(receiver.posts[before].at - t0);
    const t1 = Date.now();
    await fetch(receiver.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    bare.push(receiver.posts.at(-1).at - t1);
  }
  await fn.stop();
  await receiver.close();
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return {
    label,
    loneMs: median(viaFunction),
    bareMs: median(bare),
    maxLoneMs: Math.max(...viaFunction),
  };
}

const redis = await startRedis({ dedicated: true });
const rows = [];
for (const [label, env] of [
  ['memory', {}],
  ['redis', { REDIS_URL: redis.url }],
]) {
  rows.push({ ...(await storm(label, env)), ...(await lone(label, env)) });
}
await redis.stop();

console.log(
  `\nnotifier storm bench: ${EVENTS} events in ${SECONDS} s to one Slack-paced webhook (1 message/s)\n`,
);
console.log(
  '| state  | last answer | messages | answered 200 | events carried | missing | vs one message per event | lone event -> Slack (median, max) | bare POST |',
);
console.log(
  '| ------ | ----------- | -------- | ------------ | -------------- | ------- | ------------------------ | --------------------------------- | --------- |',
);
for (const r of rows) {
  console.log(
    `| ${r.label.padEnd(6)} | ${r.lastAnswerS.toFixed(1)} s | ${r.messages} | ${r.answered200} | ${r.carried} | ${r.missing} | ${(r.messages / r.baselineMessages).toFixed(3)} of the messages, ${(r.lastAnswerS / r.baselineSeconds).toFixed(3)} of the time | ${r.loneMs} ms, ${r.maxLoneMs} ms | ${r.bareMs} ms |`,
  );
}
const ok = rows.every(
  (r) =>
    r.missing === 0 &&
    r.answered200 === r.events &&
    r.messages <= 30 &&
    r.lastAnswerS <= 30 &&
    r.loneMs <= 100,
);
console.log(
  `\ntargets (all within 30 s, at most 30 messages, none missing, lone <= 100 ms): ${ok ? 'met' : 'NOT met'}`,
);
console.log(JSON.stringify(rows));
process.exitCode = ok ? 0 : 1;
