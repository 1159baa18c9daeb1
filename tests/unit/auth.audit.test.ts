import type { Pool } from 'pg';
import { AuditLog } from '../../services/audit';
import { AuditSource } from '../../datasources/audit';
import { Sql, SqlRecorder } from '../../src/db/sql';
import type { Viewer } from '../../src/auth/viewer';
import { callerPseudonym } from '../../src/privacy/idHash';

const HEALTH: Viewer = { role: 'HEALTH', keyId: '296b8aa9-fbb1-44e9-b1b0-abe405fe95aa', keyName: '卫健委', clientId: '296b8aa9-fbb1-44e9-b1b0-abe405fe95aa' };
const PERSON = '0b5c7a7e-2f4e-4a55-9c3a-2b1d6f1e9a10';

function setup(viewer: Viewer = HEALTH, requestId = 'req-12345678') {
  const statements: { text: string; params: unknown[] }[] = [];
  const pool = { query: jest.fn(async (text: string, params: unknown[]) => (statements.push({ text, params }), { rows: [] })) };
  const recorder = new SqlRecorder();
  const log = new AuditLog(new AuditSource(new Sql(pool as unknown as Pool, 'access', recorder)), viewer, requestId, (caller) => callerPseudonym(caller, 'test-secret'));
  return { log, statements, recorder };
}

describe('AuditLog', () => {
  it('fills in key, role and request id, and writes one statement for one entry', async () => {
    const { log, statements } = setup();
    await log.record({ operation: 'person', subjectPersonId: PERSON, outcome: 'FOUND' });
    expect(statements).toHaveLength(1);
    expect(statements[0].text).toMatch(/^\/\* AuditSource\.append \*\/ INSERT INTO access\.audit_log/);
    expect(statements[0].params).toEqual([HEALTH.keyId, 'HEALTH', 'req-12345678', ['person'], [PERSON], ['FOUND'], [null], null]);
  });

  it('writes 1,000 entries in one INSERT with a fixed number of parameters', async () => {
    const { log, statements, recorder } = setup();
    const entries = Array.from({ length: 1000 }, (_, i) => ({ operation: 'checkPass', subjectPersonId: i % 2 ? PERSON : null, outcome: 'VALID:GREEN' }));
    await log.recordMany(entries);
    expect(statements).toHaveLength(1);
    expect(recorder.names).toEqual(['AuditSource.append']);
    expect(statements[0].params).toHaveLength(8);
    expect((statements[0].params[3] as string[]).length).toBe(1000);
  });

  it('writes nothing for no entries', async () => {
    const { log, statements } = setup();
    await log.recordMany([]);
    expect(statements).toHaveLength(0);
  });

  it('records a PUBLIC caller without a key id, by the pseudonym of its address', async () => {
    const { log, statements } = setup({ role: 'PUBLIC', keyId: null, keyName: null, clientId: '203.0.113.7' });
    await log.record({ operation: 'closeContactCheck', outcome: 'NOT_MATCHED' });
    expect(statements[0].params.slice(0, 2)).toEqual([null, 'PUBLIC']);
    expect(statements[0].params[7]).toBe(callerPseudonym('203.0.113.7', 'test-secret'));
    expect(statements[0].params[7]).not.toBe(callerPseudonym('203.0.113.8', 'test-secret'));
    expect(statements[0].params[7]).not.toBe(callerPseudonym('203.0.113.7', 'another-secret'));
  });

  it('refuses, before any SQL, a subject that is not a Person.id and any text shaped like an ID number', async () => {
    const { log, statements } = setup();
    await expect(log.record({ operation: 'person', subjectPersonId: '420106198805120017', outcome: 'FOUND' })).rejects.toThrow(
      /subjectPersonId must be a Person.id/,
    );
    await expect(log.record({ operation: 'person', outcome: 'FOUND', detail: 'looked up 420106198805120017' })).rejects.toThrow(
      /detail contains something shaped like an ID number/,
    );
    await expect(log.record({ operation: 'person', outcome: 'FOUND', detail: '11010519900307123x' })).rejects.toThrow(/ID number/);
    expect(statements).toHaveLength(0);
  });

  it('does not keep a client request id that contains an ID number', async () => {
    const { log, statements } = setup(HEALTH, 'trace-420106198805120017');
    await log.record({ operation: 'person', outcome: 'NOT_FOUND' });
    expect(statements[0].params[2]).toBeNull();
  });

  it('checks the audit trail filter and cursor before reading', async () => {
    const { log, statements } = setup();
    await expect(log.trail({ keyId: 'not-a-uuid' }, 10, null)).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument: 'filter.keyId' } });
    await expect(log.trail({ from: new Date('2024-02-01'), to: new Date('2024-01-01') }, 10, null)).rejects.toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', argument: 'filter.from' },
    });
    await expect(log.trail({}, 501, null)).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument: 'first' } });
    await expect(log.trail({}, 10, Buffer.from('audit:1 OR 1=1').toString('base64url'))).rejects.toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', argument: 'after' },
    });
    expect(statements).toHaveLength(0);
  });
});
