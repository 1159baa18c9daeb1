import { createServer } from 'node:http';
import pg from 'pg';
import { ConfigError } from '../../src/config';
import { EmbeddedPostgresError } from '../../src/db/embeddedErrors';
import { EventEmitter } from 'node:events';
import { describeStartFailure, handleProcessFaults, listen, yieldCpuToPassChecks, YIELDING_NICENESS } from '../../src/startup';
import { processFaultCounts } from '../../src/observability/processFaults';
import { freePort } from '../helpers/processes';

/** Every start failure says what failed and what to do; never `undefined`, never a bare stack for a known cause. */
describe('describeStartFailure', () => {
  it('prints configuration and embedded PostgreSQL failures as they are written (already one paragraph)', () => {
    expect(describeStartFailure(new ConfigError('Invalid environment:\n  PORT: expected a number'))).toBe('Invalid environment:\n  PORT: expected a number');
    expect(describeStartFailure(new EmbeddedPostgresError('Port 54329 is taken: set EMBEDDED_PG_PORT.'))).toBe('Port 54329 is taken: set EMBEDDED_PG_PORT.');
  });

  it('names a taken port and the variable that moves it (a real listen on a port in use)', async () => {
    const port = await freePort();
    const holder = createServer();
    await listen(holder, port, '127.0.0.1');
    try {
      const failure = await listen(createServer(), port, '127.0.0.1').then(() => null, (err: unknown) => err);
      expect(describeStartFailure(failure)).toBe(`Port ${port} on 127.0.0.1 is already in use (another changxing?): stop that process or set PORT (and HOST) to a free one.`);
    } finally {
      holder.close();
    }
  });

  it('explains a database that refuses connections, with where and what to try (a real connection attempt)', async () => {
    const port = await freePort();
    const failure = await new pg.Client({ connectionString: `postgresql://nobody@127.0.0.1:${port}/x` }).connect().then(() => null, (err: unknown) => err);
    const text = describeStartFailure(failure);
    expect(text).toContain(`Could not connect to the database at 127.0.0.1:${port}`);
    expect(text).toContain('is PostgreSQL running, and is the port right?');
    expect(text).toContain('Unset DATABASE_URL to use the embedded PostgreSQL');
  });

  it('explains PostgreSQL refusals by SQLSTATE', () => {
    const err = Object.assign(new Error('database "nope" does not exist'), { code: '3D000' });
    expect(describeStartFailure(err)).toMatch(/^Could not connect to the database .*: the database does not exist \(create it, or name another in the URL\)\. Unset/);
  });

  it('never prints `undefined`: a rejection without an Error says so and asks for a report', () => {
    expect(describeStartFailure(undefined)).toBe('start-up failed with a non-error value (undefined): this is a defect, please report it with the lines above.');
    expect(describeStartFailure('boom')).toContain('("boom")');
  });

  it('prints an unknown failure with its stack, as a defect to report', () => {
    const text = describeStartFailure(new TypeError('x is not a function'));
    expect(text).toMatch(/^TypeError: x is not a function\n\s+at /);
    expect(text).toMatch(/not one start-up knows: please report it/);
  });
});

/** The handlers on a stand-in for `process` (the real process's are jest's); tests/integration/processFaults.test.ts runs the real server. */
describe('handleProcessFaults', () => {
  const setUp = () => {
    const emitter = new EventEmitter();
    const lines: { level: 'error' | 'fatal'; obj: Record<string, unknown>; msg: string }[] = [];
    const logger = { error: (obj: object, msg: string) => lines.push({ level: 'error', obj: obj as Record<string, unknown>, msg }), fatal: (obj: object, msg: string) => lines.push({ level: 'fatal', obj: obj as Record<string, unknown>, msg }) };
    const stops: string[] = [];
    handleProcessFaults(logger, (reason) => stops.push(reason), emitter as unknown as NodeJS.Process);
    return { emitter, lines, stops };
  };

  it('logs an unhandled rejection with its error, counts it, and does not stop the server', () => {
    const { emitter, lines, stops } = setUp();
    const before = processFaultCounts().unhandled_rejection;
    const err = new Error('nobody awaited this');
    emitter.emit('unhandledRejection', err, Promise.resolve());
    emitter.emit('unhandledRejection', 'a string, not an Error', Promise.resolve());
    expect(lines.map((l) => [l.level, l.obj.err, l.obj.fault])).toEqual([
      ['error', err, 'unhandled_rejection'],
      ['error', 'a string, not an Error', 'unhandled_rejection'],
    ]);
    expect(lines[0].msg).toMatch(/the server goes on serving/);
    expect(processFaultCounts().unhandled_rejection).toBe(before + 2);
    expect(stops).toEqual([]);
  });

  it('logs an uncaught exception as fatal with its error and origin, counts it, and begins the graceful stop', () => {
    const { emitter, lines, stops } = setUp();
    const before = processFaultCounts().uncaught_exception;
    const err = new TypeError('x is not a function');
    emitter.emit('uncaughtException', err, 'uncaughtException');
    expect(lines).toEqual([{ level: 'fatal', obj: { err, fault: 'uncaught_exception', origin: 'uncaughtException' }, msg: expect.stringMatching(/exit code 1/) }]);
    expect(stops).toEqual(['uncaught exception: x is not a function']);
    expect(processFaultCounts().uncaught_exception).toBe(before + 1);
  });
});

describe('yieldCpuToPassChecks (PASS_CHECKS=elsewhere)', () => {
  const fakeOs = (start: number, fail = false) => {
    let niceness = start;
    return {
      get niceness() {
        return niceness;
      },
      getPriority: () => niceness,
      setPriority: (_pid: number, value: number) => {
        if (fail) throw new Error('EACCES');
        niceness = value;
      },
    };
  };
  const logger = () => {
    const warnings: string[] = [];
    return { warnings, warn: (_obj: object, msg: string) => void warnings.push(msg) };
  };

  it('lowers the process to nice 10', () => {
    const os = fakeOs(0);
    yieldCpuToPassChecks(logger(), os);
    expect(os.niceness).toBe(YIELDING_NICENESS);
  });

  it('never raises a priority already lower', () => {
    const os = fakeOs(15);
    yieldCpuToPassChecks(logger(), os);
    expect(os.niceness).toBe(15);
  });

  it('warns and goes on when the system refuses', () => {
    const os = fakeOs(0, true);
    const log = logger();
    expect(() => yieldCpuToPassChecks(log, os)).not.toThrow();
    expect(log.warnings).toEqual(["could not lower this process's scheduling priority (PASS_CHECKS=elsewhere)"]);
  });
});
