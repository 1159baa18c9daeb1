/**
 * A failure of the embedded PostgreSQL that the person starting the server can act on. The
 * message is one paragraph: what failed, why, and what to do; start-up prints it as it is.
 */
export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}
