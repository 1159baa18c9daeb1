// Bench only: PostGraphile 5 (Amber preset) over the schema bench_pg of the bench database, as the
// comparison for W1. Started by bench/run.ts as a child process:
//   node --require ./bench/withResolvers.cjs bench/postgraphileServer.mjs   (DATABASE_URL, PORT)
import { createServer } from 'node:http';
import { postgraphile } from 'postgraphile';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';

const port = Number(process.env.PORT ?? 4399);
const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [makePgService({ connectionString: process.env.DATABASE_URL, schemas: ['bench_pg'], poolConfig: { max: 10 } })],
  grafserv: { port, host: '127.0.0.1', graphiql: false, watch: false },
  grafast: { explain: false },
};
const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on('error', (e) => {
  console.error(e);
  process.exit(1);
});
await serv.addTo(server);
server.listen(port, '127.0.0.1', () => console.error(`postgraphile listening on ${port}`));
const stop = async () => {
  server.close();
  await pgl.release();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
