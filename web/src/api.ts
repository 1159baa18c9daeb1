import { Client, fetchExchange, subscriptionExchange, type Exchange } from '@urql/core';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { parse, print } from 'graphql';

/**
 * The pages talk to the API as any outside client would: GraphQL over HTTP at /graphql (POST with
 * `content-type: application/json`, which Apollo's CSRF prevention asks for) and graphql-ws on the
 * same path for subscriptions.
 *
 * Roles in trusted-documents mode (PARTNER by default) may send only the exact text of a manifest
 * document, which is graphql-js's `print` of the operation (src/documents/manifest.ts). urql prints
 * documents with its own printer, so the query text is re-printed by graphql-js before it is sent.
 * No cacheExchange: it would add `__typename` to every selection and change the text again.
 */
export const canonicalFetch: typeof fetch = (input, init) => {
  if (typeof init?.body === 'string') {
    const body = JSON.parse(init.body) as { query?: unknown };
    if (typeof body.query === 'string') body.query = print(parse(body.query));
    init = { ...init, body: JSON.stringify(body) };
  }
  return fetch(input, init);
};

export function wsUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
}

export interface Api {
  client: Client;
  /** Closes the websocket, if one was opened. */
  dispose(): void;
}

/**
 * A client for one API key (null: PUBLIC); with a key it also subscribes over graphql-ws, and
 * `onSocket` hears when the socket is connected (acknowledged) or closed.
 */
export function makeApi(key: string | null, onSocket?: (state: 'connected' | 'closed') => void): Api {
  const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  let ws: WsClient | null = null;
  const exchanges: Exchange[] = [fetchExchange];
  if (key) {
    ws = createWsClient({ url: wsUrl(), connectionParams: { authorization: `Bearer ${key}` }, lazy: true,
      retryAttempts: 20,
      on: { connected: () => onSocket?.('connected'), closed: () => onSocket?.('closed') },
    });
    const socket = ws;
    exchanges.push(
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: socket.subscribe({ ...request, query: request.query ?? '' }, sink) }),
        }),
      }),
    );
  }
  const client = new Client({
    url: '/graphql',
    exchanges,
    fetch: canonicalFetch,
    fetchOptions: { headers },
    // GET would need Apollo's preflight header and the national list does not fit in a URL anyway.
    preferGetMethod: false,
    requestPolicy: 'network-only',
  });
  return { client, dispose: () => void ws?.dispose() };
}

/** Today in China Standard Time (the API's default `asOf`), as YYYY-MM-DD. */
export function todayCst(): string {
  return new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** A GraphQL error's message for a person, with its code. */
export function describeError(error: { message: string; graphQLErrors?: { message: string; extensions?: Record<string, unknown> }[] }): string {
  const first = error.graphQLErrors?.[0];
  if (first) return `${first.message}${first.extensions?.code ? ` (${String(first.extensions.code)})` : ''}`;
  return error.message;
}
