import pg from 'pg';
import { RISK_LEVELS, type RiskLevel } from '../risk/cn2020County';
import { isRegionCode } from '../regionCode';

/** The PostgreSQL NOTIFY channel of county risk level changes (datasources/riskChanges.ts sends on it). */
export const RISK_LEVEL_CHANNEL = 'changxing_risk_level';

/** One county whose level changed with an ingestion, as sent on the channel (JSON). */
export interface RiskLevelChangeEvent {
  regionCode: string;
  level: RiskLevel;
  previousLevel: RiskLevel;
  asOf: string;
  ruleset: string;
}

/** A dedicated LISTEN connection (not a pooled one: a pool would hand it to other statements). */
export interface RiskChangeListener {
  close(): Promise<void>;
}

/**
 * Opens a connection with the cases pool's settings and LISTENs on the channel. `onEvent` gets each
 * parsed change; `onLost` is called once when the connection drops (database restart, network),
 * and the caller decides whether to open a new one. Malformed payloads are ignored.
 */
export async function listenForRiskChanges(
  config: pg.ClientConfig,
  onEvent: (event: RiskLevelChangeEvent) => void,
  onLost: (err: Error | null) => void,
): Promise<RiskChangeListener> {
  const client = new pg.Client({ ...config, application_name: `${config.application_name ?? 'changxing'}:listen` });
  let closing = false;
  let lost = false;
  const drop = (err: Error | null) => {
    if (closing || lost) return;
    lost = true;
    onLost(err);
  };
  client.on('error', (err) => drop(err));
  client.on('end', () => drop(null));
  client.on('notification', (message) => {
    if (message.channel !== RISK_LEVEL_CHANNEL || !message.payload) return;
    const event = parseEvent(message.payload);
    if (event) onEvent(event);
  });
  try {
    await client.connect();
    await client.query(`/* RiskChanges.listen */ LISTEN ${RISK_LEVEL_CHANNEL}`);
  } catch (err) {
    closing = true;
    await client.end().catch(() => undefined);
    throw err;
  }
  return {
    async close() {
      closing = true;
      await client.end().catch(() => undefined);
    },
  };
}

const LEVELS: ReadonlySet<string> = new Set(RISK_LEVELS);

function parseEvent(payload: string): RiskLevelChangeEvent | null {
  try {
    const e = JSON.parse(payload) as Partial<RiskLevelChangeEvent>;
    const ok =
      isRegionCode(e.regionCode) && LEVELS.has(String(e.level)) &&
      LEVELS.has(String(e.previousLevel)) && typeof e.asOf === 'string' && typeof e.ruleset === 'string';
    return ok ? (e as RiskLevelChangeEvent) : null;
  } catch {
    return null;
  }
}
