import { ErrorCode } from '../errors';
import { GraphQLError } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Role } from '../auth/viewer';
import type { Context } from '../context';

/**
 * Code of a request refused because its document is not in the trusted-documents manifest. Sent with
 * HTTP 403: the caller is known, and is not allowed to run documents of its own.
 */
export const PERSISTED_QUERY_NOT_ALLOWED = ErrorCode.PERSISTED_QUERY_NOT_ALLOWED;

/** Apollo prefixes the keys of its persisted query cache with this (requestPipeline APQ_CACHE_PREFIX). */
const APQ_PREFIX = 'apq:';

/**
 * The automatic persisted query (APQ) cache: the trusted documents first, so that a client may send
 * only `extensions.persistedQuery.sha256Hash` of a manifest document without registering it; then
 * documents registered by clients at run time, in memory, least recently used dropped past `maxEntries`.
 * Shaped as Apollo's KeyValueCache (get/set/delete).
 */
export class PersistedQueryCache {
  private readonly registered = new Map<string, string>();

  constructor(
    private readonly trusted: ReadonlyMap<string, string>,
    private readonly maxEntries = 10_000,
  ) {}

  async get(key: string): Promise<string | undefined> {
    const hash = key.startsWith(APQ_PREFIX) ? key.slice(APQ_PREFIX.length) : key;
    const document = this.trusted.get(hash) ?? this.registered.get(key);
    if (document !== undefined && this.registered.has(key)) {
      this.registered.delete(key);
      this.registered.set(key, document);
    }
    return document;
  }

  async set(key: string, value: string): Promise<void> {
    this.registered.delete(key);
    this.registered.set(key, value);
    if (this.registered.size > this.maxEntries) this.registered.delete(this.registered.keys().next().value!);
  }

  async delete(key: string): Promise<boolean> {
    return this.registered.delete(key);
  }
}

/**
 * Trusted-documents mode for the configured roles: they may run only documents whose SHA-256 is in
 * the manifest, sent by hash (APQ) or as full text. Checked in `didResolveOperation`, where Apollo
 * lets a plugin refuse a request with its own error, and before an APQ registration is written, so a
 * refused document is never cached. `queryHash` is the SHA-256 of the text received (or the hash sent).
 */
export function trustedDocumentsPlugin(trusted: ReadonlyMap<string, string>, roles: ReadonlySet<Role>): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ contextValue }) {
      if (!roles.has(contextValue.viewer.role)) return;
      return {
        async didResolveOperation({ queryHash }) {
          if (trusted.has(queryHash)) return;
          throw new GraphQLError(
            `Role ${contextValue.viewer.role} may run only trusted documents: send one of documents/manifest.json, ` +
              'as its exact text or as extensions.persistedQuery.sha256Hash.',
            { extensions: { code: PERSISTED_QUERY_NOT_ALLOWED, http: { status: 403 } } },
          );
        },
      };
    },
  };
}
