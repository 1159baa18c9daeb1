import { PassThrough } from 'node:stream';
import pg from 'pg';
import { paceReads, socketOf } from '../../src/db/pacedReads';
import { createPools, closePools } from '../../src/db/pools';
import { testDatabaseUrl } from '../helpers/server';

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('paceReads', () => {
  it('hands the parser one chunk per turn of the loop, all of them in order', async () => {
    const socket = new PassThrough();
    const parsed: string[] = [];
    socket.on('data', (chunk: Buffer) => parsed.push(chunk.toString())); // the parser, attached first
    paceReads(socket);
    // three chunks that arrive together (libuv reads them in one turn)
    socket.write('a');
    socket.write('b');
    socket.write('c');
    await new Promise((resolve) => process.nextTick(resolve));
    expect(parsed).toEqual(['a']);
    await turn();
    await turn();
    await turn();
    expect(parsed).toEqual(['a', 'b', 'c']);
  });

  it('delays nothing that comes one chunk at a time', async () => {
    const socket = new PassThrough();
    const parsed: string[] = [];
    socket.on('data', (chunk: Buffer) => parsed.push(chunk.toString()));
    paceReads(socket);
    socket.write('a');
    await turn();
    await turn();
    socket.write('b');
    await turn();
    await turn();
    expect(parsed).toEqual(['a', 'b']);
  });
});

describe('the expensive classes’ pools', () => {
  const url = testDatabaseUrl();
  it('pace their connections and still read a large result whole, while the others do not pace', async () => {
    const pools = createPools({ urls: { region: url, cases: url, mobility: url, access: url }, max: 8, statementTimeoutMs: 30_000, applicationName: 'paced-test', sources: ['cases'] });
    try {
      const paced = await pools.classes!.public.cases.connect();
      const plain = await pools.classes!.pass.cases.connect();
      try {
        const listeners = (client: pg.PoolClient) => socketOf(client)!.listenerCount('data');
        expect(listeners(paced)).toBe(listeners(plain) + 1);
        const { rows } = await paced.query<{ n: number; t: string }>("SELECT n, repeat('x', 100) AS t FROM generate_series(1, 50000) AS n");
        expect(rows).toHaveLength(50_000);
        expect(rows[49_999]).toEqual({ n: 50_000, t: 'x'.repeat(100) });
      } finally {
        paced.release();
        plain.release();
      }
    } finally {
      await closePools(pools);
    }
  });
});
