import type { ApolloServerPlugin } from '@apollo/server';
import type { Context } from '../context';
import { policyOf } from '../limits/requestClass';
import { isCacheable } from '../cache/responseKey';
import { cacheControlFor } from './conditional';

/**
 * Cache-Control of every GraphQL answer, by what it holds (src/http/conditional.ts, docs/http-caching.md):
 * personal answers and errors `no-store`, keyed GETs `private, no-cache`, PUBLIC GETs of aggregate
 * operations public for shared caches a few seconds. A header already set is kept (personal answers'
 * `no-store` from src/privacy/transport.ts, Apollo's own on an unknown persisted query).
 */
export function cacheControlPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      let personal = false;
      let aggregate = false;
      return {
        async didResolveOperation({ document, operation, contextValue }) {
          if (!operation) return;
          personal = policyOf(contextValue, contextValue.viewer.role, document, operation).personal;
          aggregate = isCacheable(operation);
        },
        async willSendResponse({ response, request, contextValue }) {
          if (response.http.headers.has('cache-control')) return;
          const single = response.body.kind === 'single' ? response.body.singleResult : null;
          response.http.headers.set(
            'cache-control',
            cacheControlFor({
              method: request.http?.method ?? 'POST',
              keyed: contextValue.viewer.role !== 'PUBLIC',
              personal,
              aggregate,
              errors: !single || Boolean(single.errors?.length) || single.data == null,
            }),
          );
        },
      };
    },
  };
}
