import type { ApolloServerPlugin } from '@apollo/server';
import type { Context } from '../context';

/** Counts operations still executing, including those whose client has disconnected. */
export function inFlightOperations() {
  let running = 0;
  const plugin: ApolloServerPlugin<Context> = {
    async requestDidStart() {
      running++;
      // Apollo calls willSendResponse once per request, for answers and errors alike.
      return { willSendResponse: async () => void running-- };
    },
  };
  return {
    plugin,
    async settled(timeoutMs: number): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (running > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    },
  };
}
