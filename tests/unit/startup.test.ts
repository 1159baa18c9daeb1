import { createServer } from 'node:http';
import pg from 'pg';
import { ConfigError } from '../../src/config';
import { EmbeddedPostgresError } from '../../src/db/embeddedErrors';
import { describeStartFailure, listen } from '../../src/startup';
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
