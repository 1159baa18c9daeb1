import type { Logger } from 'pino';
import { loadConfig, type Config } from './config';
import { loadSecrets, type Secrets } from './secrets';
import { createLogger } from './logger';
import { openDatabase, type Database } from './db';
import type { SourceName } from './db/pools';

export interface Runtime {
  config: Config;
  secrets: Secrets;
  logger: Logger;
  db: Database;
}

/**
 * What every entry point (server, seed, migrate, keys…) needs: config, secrets, logger, migrated
 * database. `sources`: open only these (a subgraph's; default all); `migrate: false` when another
 * process has applied the migrations (a worker of src/workers.ts).
 */
export async function bootstrap(options: { applicationName: string; env?: NodeJS.ProcessEnv; sources?: readonly SourceName[]; migrate?: boolean }): Promise<Runtime> {
  const config = loadConfig(options.env);
  const logger = createLogger(config.logLevel);
  const secrets = loadSecrets(config);
  const db = await openDatabase(config, secrets, logger, { applicationName: options.applicationName, sources: options.sources, migrate: options.migrate });
  return { config, secrets, logger, db };
}
