import { HeaderMap, type ApolloServerPlugin, type GraphQLResponse } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { ErrorCode } from '../errors';
import type { Context } from '../context';
import { Admission, AdmissionRefusal, type Ticket } from './admission';
import { policyOf, type ClassLimits, type RequestClass } from './requestClass';

/**
 * Bulkheads on `npm start` and in each subgraph (docs/limits.md, "Bulkheads and load shedding"; the gateway's own are in
 * gateway/contract.ts). Once the operation is known (`didResolveOperation`, after validation and the
 * cost check) the request enters its class: its statements go to the class's pools and stop at the
 * class's deadline (src/db/lane.ts). A subgraph takes the class and the time left from the gateway.
 *
 * The slot is taken in `responseForOperation`, after the response cache's: an answer served from
 * the cache (the national map) runs nothing and is never shed. A refusal is the answer itself (429
 * or 503 with Retry-After, `extensions.reason` saying why), no resolver runs; the slot is given
 * back when the answer is sent, whatever it is.
 *
 * `only`: the one class this instance serves (PASS_CHECKS=dedicated: `pass`). Any other operation is
 * answered 421 MISDIRECTED_REQUEST once its class is known, before the response cache or any resolver.
 */
export function admissionPlugin(admission: Admission, limits: Readonly<Record<RequestClass, ClassLimits>>, only: RequestClass | null = null): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      let ticket: Ticket | null = null;
      let caller: string | null = null;
      return {
        async didResolveOperation({ document, operation, contextValue }) {
          const lane = contextValue.lane;
          if (!operation || !lane) return;
          const forwarded = contextValue.forwarded;
          const requestClass = forwarded?.requestClass ?? policyOf(contextValue, contextValue.viewer.role, document, operation).requestClass;
          if (only !== null && requestClass !== only) throw misdirected(only);
          // the gateway counted the client per caller; its fetches here only take their class's turn
          caller = forwarded ? null : contextValue.viewer.clientId;
          lane.enter(requestClass, Math.min(forwarded?.deadlineMs ?? Number.POSITIVE_INFINITY, limits[requestClass].deadlineMs));
        },
        async responseForOperation({ contextValue }): Promise<GraphQLResponse | null> {
          const lane = contextValue.lane;
          if (!lane?.requestClass) return null;
          try {
            ticket = await admission.admit(lane.requestClass, caller, lane.deadlineAt);
            return null;
          } catch (err) {
            if (err instanceof AdmissionRefusal) return refusalResponse(err);
            throw err;
          }
        },
        async willSendResponse() {
          ticket?.release();
        },
      };
    },
  };
}

/** An operation of a class this instance does not serve: 421, with where to send it. */
function misdirected(only: RequestClass): GraphQLError {
  return new GraphQLError(
    `This instance serves ${only === 'pass' ? 'pass checks (checkPass, checkPasses)' : `${only} requests`} only (PASS_CHECKS=dedicated); send other operations to the API's general endpoint.`,
    { extensions: { code: ErrorCode.MISDIRECTED_REQUEST, http: { status: 421 } } },
  );
}

/** The answer to a refused request: its error (already public: no formatting needed), status and Retry-After. */
export function refusalResponse(refusal: AdmissionRefusal): GraphQLResponse {
  return {
    body: { kind: 'single', singleResult: { errors: [{ message: refusal.message, extensions: refusal.extensions() }] } },
    http: { status: refusal.status, headers: new HeaderMap([['retry-after', String(refusal.retryAfterSeconds)]]) },
  };
}
