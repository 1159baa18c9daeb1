import { GraphQLError } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Viewer } from '../auth/viewer';
import { ErrorCode } from '../errors';
import { idNumberOverGetMessage, policyOf } from '../limits/requestClass';

/**
 * How personal data travels over HTTP (`npm start`; the gateway does the same in gateway/contract.ts):
 * - a lookup by ID number (`closeContactCheck`, `issuePass`, `person`) over GET is refused with 405
 *   and `Allow: POST`: the number and the name would be in the URL, which proxies, browsers and
 *   access logs keep;
 * - an answer about a person (those, pass checks, the audit trail) is sent `Cache-Control: no-store`,
 *   so no browser or proxy keeps it, whatever it answered (a refusal included).
 */
export function personalDataPlugin(): ApolloServerPlugin<{ viewer: Viewer }> {
  return {
    async requestDidStart() {
      let personal = false;
      return {
        async didResolveOperation({ document, operation, request, contextValue }) {
          if (!operation) return;
          const policy = policyOf(contextValue, contextValue.viewer.role, document, operation);
          personal = policy.personal;
          if (policy.idNumberLookup && request.http?.method === 'GET') {
            throw new GraphQLError(idNumberOverGetMessage(policy.idNumberLookup), {
              extensions: { code: ErrorCode.BAD_REQUEST, http: { status: 405, headers: new Map([['allow', 'POST']]) } },
            });
          }
        },
        async willSendResponse({ response }) {
          if (personal) response.http.headers.set('cache-control', 'no-store');
        },
      };
    },
  };
}
