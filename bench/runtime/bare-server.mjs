// The floor: node:http reading the whole body and answering 204. Nothing parsed, nothing logged.
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200);
    res.end();
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    Buffer.concat(chunks);
    res.writeHead(204);
    res.end();
  });
});
server.listen(Number(process.env.PORT ?? 8080));
process.on('SIGTERM', () => process.exit(0));
