import type { Logger } from 'pino';
import { loadConfig, type Config } from './config';
import { loadSecrets, type Secrets } from './secrets';
import { createLogger } from './logger';
import { openDatabase, type Database } from './db';

export interface Runtime {
  config: Config;
  secrets: Secrets;
  logger: Logger;
  db: Database;
}

/** What every entry point (server, seed, migrate, keys…) needs: config, secrets, logger, migrated database. */
export async function bootstrap(options: { applicationName: string; env?: NodeJS.ProcessEnv }): Promise<Runtime> {
  const config = loadConfig(options.env);
  const logger = createLogger(config.logLevel);
  const secrets = loadSecrets(config);
  const db = await openDatabase(config, secrets, logger, { applicationName: options.applicationName });
  return { config, secrets, logger, db };
}
