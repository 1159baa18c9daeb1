import { subgraphSecret, subgraphUrls } from '../src/federation/names';
import { createLogger } from '../src/logger';
import { loadGatewayConfig } from './config';
import { exitWithStartFailure, listen, onShutdownSignal } from '../src/startup';

/**
 * `npm run start:gateway`: the Hive gateway alone, over subgraphs already running on 127.0.0.1
 * (<NAME>_SUBGRAPH_PORT, default 4101–4104). Kept apart from the server's code (gateway/): the
 * gateway's libraries declare GraphQL error types of their own.
 */
async function main() {
  const env = process.env;
  const config = loadGatewayConfig(env);
  const isProduction = env.NODE_ENV === 'production';
  const port = Number(env.PORT ?? 4000);
  const host = env.HOST ?? '0.0.0.0';
  // Hive reads LOG_LEVEL too, and knows no `silent` (its `logging: false` below turns it off).
  const logger = createLogger(env.LOG_LEVEL ?? 'info');
  const logging = env.LOG_LEVEL === 'silent' ? false : env.LOG_LEVEL === 'debug' || env.LOG_LEVEL === 'warn' || env.LOG_LEVEL === 'error' ? env.LOG_LEVEL : 'info';
  env.LOG_LEVEL = logging === false ? 'error' : logging;
  // loaded after LOG_LEVEL is set: Hive reads it when its modules load.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createGatewayServer } = require('./server') as typeof import('./server');
  const server = createGatewayServer({
    urls: subgraphUrls(env),
    secret: subgraphSecret({ isProduction, dataDir: env.DATA_DIR ?? '.data' }),
    isProduction,
    logging,
    config,
    logger,
  });
  await listen(server, port, host);
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  // one line a parent process (npm run start:federated, tests) can wait for
  process.stdout.write(`${JSON.stringify({ msg: 'gateway listening', port: bound })}\n`);
  onShutdownSignal(Number(env.SHUTDOWN_GRACE_MS ?? 10_000), async () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}

main().catch(exitWithStartFailure('changxing gateway'));
