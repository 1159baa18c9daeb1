import { badInput } from '../errors';

/** Opaque cursors: base64url of `<kind>:<value>`, so that clients cannot depend on their form. */
export function encodeCursor(kind: string, value: string): string {
  return Buffer.from(`${kind}:${value}`, 'utf8').toString('base64url');
}

export function decodeCursor(kind: string, cursor: string | null | undefined): string | null {
  if (cursor == null) return null;
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const prefix = `${kind}:`;
  if (!decoded.startsWith(prefix) || decoded.length === prefix.length || cursor.length > 200) {
    throw badInput(`"after" is not a cursor of this list; pass a pageInfo.endCursor you received from it`, 'after');
  }
  return decoded.slice(prefix.length);
}

export interface Page<T> {
  nodes: T[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  cursorOf: (node: T) => string;
  totalCount: number | (() => Promise<number>);
}

/**
 * A connection as resolvers return it. `totalCount` and `edges` may be functions: graphql-js's
 * default resolver calls them, so a count or the edges cost nothing unless the query asks for them.
 * (graphql-jit does not call a property that is a function: such fields keep a resolver,
 * `LAZY_FIELDS`.)
 */
export interface Connection<T> {
  totalCount: number | (() => Promise<number>);
  nodes: T[];
  edges: () => { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/** Fields whose value may be a function of the object that holds it (`Connection`): they are always resolved through a resolver. */
export const LAZY_FIELDS: ReadonlySet<string> = new Set(['totalCount', 'edges']);

/** The connection shape `{ totalCount, nodes, edges, pageInfo }` for a page. */
export function connection<T>(page: Page<T>): Connection<T> {
  const { nodes, cursorOf } = page;
  return {
    totalCount: page.totalCount,
    nodes,
    edges: () => nodes.map((node) => ({ cursor: cursorOf(node), node })),
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: page.hasPreviousPage,
      startCursor: nodes.length > 0 ? cursorOf(nodes[0]) : null,
      endCursor: nodes.length > 0 ? cursorOf(nodes[nodes.length - 1]) : null,
    },
  };
}

/**
 * Pages an in-memory list that is sorted by `keyOf` (ascending, or descending when `descending`):
 * the page starts after the cursor's key, so an item removed since still pages correctly.
 */
export function pageOf<T>(
  all: readonly T[],
  keyOf: (t: T) => string,
  kind: string,
  first: number,
  after: string | null,
  descending = false,
): Page<T> {
  const start = after == null ? 0 : all.findIndex((t) => (descending ? keyOf(t) < after : keyOf(t) > after));
  const from = start < 0 ? all.length : start;
  return {
    nodes: all.slice(from, from + first),
    hasNextPage: from + first < all.length,
    hasPreviousPage: from > 0,
    cursorOf: (t) => encodeCursor(kind, keyOf(t)),
    totalCount: all.length,
  };
}
