// Knative's Node runtime (faas-js-runtime 3.0.2, Fastify) with a handler doing what echo does:
// one log line per event with type, source, id and a one-line summary of the data. The line is
// logged at warn because faas-js-runtime's default level is warn; at info Fastify would add two
// request lines per event and the comparison would be unfair to it.
import faas from 'faas-js-runtime';

const { start } = faas;

function summarize(data) {
  if (data === undefined || data === null) return '(no data)';
  if (
    typeof data === 'object' &&
    typeof data.FullFormattedMessage === 'string' &&
    data.FullFormattedMessage !== ''
  ) {
    return data.FullFormattedMessage.slice(0, 200);
  }
  return (typeof data === 'string' ? data : JSON.stringify(data)).slice(0, 200);
}

start(
  {
    handle(context, event) {
      context.log.warn(
        `${event.type} from ${event.source} id ${event.id}: ${summarize(event.data)}`,
      );
      return { statusCode: 204 };
    },
  },
  { port: Number(process.env.PORT ?? 8080), logLevel: 'warn' },
).catch((error) => {
  console.error(error);
  process.exit(1);
});
