import type { Readable } from 'node:stream';

/**
 * A connection's answers read one chunk per turn of the event loop (docs/limits.md, "Bulkheads and
 * load shedding"), for the pools of the expensive classes.
 *
 * Why: node-postgres parses what its socket delivers as it comes, in the socket's 'data' events.
 * When the loop is busy, a large result (a scope's daily figures, counties at the edge of a budget)
 * waits in the kernel's buffer, and the next turn libuv hands it over in up to 32 reads of 64 KB,
 * all parsed before anything else runs: under the attack bench a single such stretch took 239 ms,
 * while every pass check of those turns waited. Paused after each chunk and resumed in the turn's
 * `setImmediate` phase, the socket gives the parser one chunk (≤ 64 KB, a few milliseconds) per turn,
 * and the pass checks' sockets are read in between. A small answer (one chunk) is not delayed.
 *
 * `stream` is the connection's socket, whose parser listens to 'data' already (node-postgres attaches
 * it when connecting): this listener runs after it for the same chunk, then stops the flow.
 */
export function paceReads(stream: Readable): void {
  let resuming = false;
  const resume = () => {
    resuming = false;
    stream.resume();
  };
  stream.on('data', () => {
    stream.pause();
    if (!resuming) {
      resuming = true;
      setImmediate(resume);
    }
  });
}

/** The socket of a node-postgres client (`client.connection.stream`), if it has one. */
export function socketOf(client: unknown): Readable | undefined {
  return (client as { connection?: { stream?: Readable } } | null)?.connection?.stream;
}
