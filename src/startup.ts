import type { Server } from 'node:http';
import { types } from 'node:util';
import { getPriority, setPriority } from 'node:os';
import { ConfigError } from './config';
import { EmbeddedPostgresError } from './db/embeddedErrors';
import { countProcessFault } from './observability/processFaults';

/**
 * Start-up's two jobs besides starting: say what failed in words a person can act on, and stop
 * cleanly on a signal. Shared by `npm start`, the subgraphs and the gateway.
 */

/** server.listen as a promise that rejects (EADDRINUSE, EACCES) instead of emitting an unhandled 'error'. */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => reject(Object.assign(err, { listenPort: port, listenHost: host }));
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
}

interface ErrorWithCode extends Error {
  code?: string;
  listenPort?: number;
  listenHost?: string;
  address?: string;
  port?: number;
}

/** PostgreSQL's refusals at connection time (SQLSTATE) and the network's, with what to do. */
const DATABASE_CAUSES: Record<string, string> = {
  ECONNREFUSED: 'nothing listens there: is PostgreSQL running, and is the port right?',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved (DNS unreachable?)',
  ETIMEDOUT: 'the connection timed out (host unreachable, or a firewall)',
  EHOSTUNREACH: 'the host is unreachable',
  '28P01': 'the password was refused',
  '28000': 'this user may not connect (pg_hba.conf)',
  '3D000': 'the database does not exist (create it, or name another in the URL)',
  '57P03': 'the database system is starting up or shutting down: try again in a moment',
  '53300': 'the server has no free connections (max_connections)',
};

/**
 * One paragraph for a failed start: what failed and what to do. Known causes (configuration, the
 * embedded PostgreSQL, the database, the port) in words; anything else is a defect, printed with
 * its stack so that it can be reported.
 */
export function describeStartFailure(err: unknown): string {
  if (err instanceof ConfigError || err instanceof EmbeddedPostgresError) return err.message;
  // the API's database role could rewrite the audit trail (src/db/roles.ts): what to set instead
  if ((err as Error | null)?.name === 'DatabaseRoleError') return (err as Error).message;
  // isNativeError: errors made by Node itself in another realm (a test sandbox) are Errors too
  if (!(err instanceof Error || types.isNativeError(err))) {
    return `start-up failed with a non-error value (${JSON.stringify(err) ?? String(err)}): this is a defect, please report it with the lines above.`;
  }
  const e = err as ErrorWithCode;
  if (e.listenPort !== undefined) {
    if (e.code === 'EADDRINUSE') return `Port ${e.listenPort} on ${e.listenHost} is already in use (another changxing?): stop that process or set PORT (and HOST) to a free one.`;
    if (e.code === 'EACCES') return `Not allowed to listen on port ${e.listenPort} (ports below 1024 need privileges): set PORT to 1024 or above.`;
    if (e.code === 'EADDRNOTAVAIL') return `Cannot listen on ${e.listenHost}: no interface of this machine has that address. Set HOST (0.0.0.0 for all, 127.0.0.1 for loopback).`;
  }
  const cause = e.code ? DATABASE_CAUSES[e.code] : undefined;
  if (cause) {
    const where = e.address ? ` at ${e.address}${e.port ? `:${e.port}` : ''}` : '';
    return `Could not connect to the database${where} (DATABASE_URL or the per-source URLs): ${cause}${/[.?!]$/.test(cause) ? '' : '.'} Unset DATABASE_URL to use the embedded PostgreSQL instead. (${e.message})`;
  }
  // waiting for another instance's migrations timed out: src/db/migrate.ts says what to do
  if (e.name === 'MigrationLockTimeout') return e.message;
  return `${e.stack ?? e.message}\nThis failure is not one start-up knows: please report it with the lines above.`;
}

/** The last word of an entry point whose start failed. */
export function exitWithStartFailure(program: string): (err: unknown) => never {
  return (err) => {
    process.stderr.write(`${program} failed to start: ${describeStartFailure(err)}\n`);
    process.exit(1);
  };
}

/**
 * Runs `shutdown` once on SIGTERM or SIGINT (a second signal while it runs is ignored: the grace
 * timer decides), and exits with 1 if it has not finished after `graceMs`.
 */
export function onShutdownSignal(graceMs: number, shutdown: (reason: string) => Promise<void>, onTimeout: () => void = () => {}): (reason: string) => void {
  let stopping = false;
  const begin = (reason: string) => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => {
      onTimeout();
      process.exit(1);
    }, graceMs).unref();
    void shutdown(reason);
  };
  process.on('SIGTERM', () => begin('SIGTERM'));
  process.on('SIGINT', () => begin('SIGINT'));
  return begin;
}

/** The part of a pino logger the fault handlers write to. */
interface FaultLogger {
  error(obj: object, msg: string): void;
  fatal(obj: object, msg: string): void;
}

/**
 * What the process does with an error nobody caught, instead of Node's default (print and exit at
 * once, dropping every request in flight). Installed by each long-running entry point once its
 * logger exists; `stop` begins its graceful shutdown with a non-zero exit code.
 *
 * - An unhandled promise rejection is logged (error, with the error) and counted
 *   (`changxing_process_faults_total{kind="unhandled_rejection"}`), and the server goes on serving.
 *   It is a promise whose outcome nobody awaited any more: the request it belonged to has already
 *   answered or failed (graphql-js abandons a list's other items when one throws), and no state was
 *   left half-changed by a throw in the middle of synchronous code. Exiting would hand anyone who
 *   can provoke one a way to stop a public service for everyone; the counter and the log line make
 *   it a defect to fix, not an outage.
 * - An uncaught exception is logged (fatal), counted, and stops the server gracefully — requests in
 *   flight finish within SHUTDOWN_GRACE_MS, no new ones are taken — with exit code 1, so that the
 *   supervisor (systemd, Kubernetes, docker's restart policy) starts a fresh process. It was thrown
 *   out of some callback midway through its work: counters, pools or caches it was updating may be
 *   inconsistent, and a process that serves on after that can answer wrongly. A second one while
 *   stopping changes nothing: the shutdown is under way, and its grace timer exits if it hangs.
 */
export function handleProcessFaults(logger: FaultLogger, stop: (reason: string) => void, on: Pick<NodeJS.Process, 'on'> = process): void {
  on.on('unhandledRejection', (reason: unknown) => {
    countProcessFault('unhandled_rejection');
    logger.error({ err: reason, fault: 'unhandled_rejection' }, 'unhandled promise rejection: logged and counted, the server goes on serving');
  });
  on.on('uncaughtException', (err: Error, origin: string) => {
    countProcessFault('uncaught_exception');
    logger.fatal({ err, fault: 'uncaught_exception', origin }, 'uncaught exception: stopping gracefully with exit code 1, for the supervisor to restart a clean process');
    stop(`uncaught exception: ${err?.message ?? String(err)}`);
  });
}

/** Niceness of an instance whose pass checks are served elsewhere (PASS_CHECKS=elsewhere). */
export const YIELDING_NICENESS = 10;

/**
 * PASS_CHECKS=elsewhere: this instance serves everything but the pass checks, which dedicated
 * instances serve over the same database (docs/scaling.md, "Pass checks on instances of their own").
 * Where both run on one host, the kernel should give a core to a pass check before a dashboard, so
 * this process lowers its own scheduling priority to nice 10, never raising it. On a host of its own
 * nothing competes, and the niceness changes nothing. Lowering one's own priority needs no privilege.
 */
export function yieldCpuToPassChecks(
  logger: { warn(obj: object, msg: string): void },
  os: { getPriority(pid?: number): number; setPriority(pid: number, priority: number): void } = { getPriority, setPriority },
): void {
  try {
    const now = os.getPriority(0);
    if (now < YIELDING_NICENESS) os.setPriority(0, YIELDING_NICENESS);
  } catch (err) {
    logger.warn({ err }, "could not lower this process's scheduling priority (PASS_CHECKS=elsewhere)");
  }
}
