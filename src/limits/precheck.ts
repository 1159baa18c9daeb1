import { Lexer, Source, TokenKind } from 'graphql';
import { LRUCache } from 'lru-cache';
import { ErrorCode } from '../errors';
import { BAD_REQUEST, type OperationLimits } from './index';

export interface PrecheckRefusal {
  message: string;
  code: string;
  limit: 'tokens' | 'depth';
}

/**
 * Checks a document's size and nesting with graphql's lexer, before it is parsed: graphql-js parses
 * recursively, so a document nested ~1,700 levels deep overflows the stack inside `parse` (Apollo then
 * answers "Maximum call stack size exceeded"), and the token limit alone cannot prevent that.
 *
 * Nesting counts `{` of selection sets (and input objects): for fields inside fields it equals the field
 * depth that the validation rule measures; inline fragments make it larger. So it is checked against a
 * generous multiple of the depth limit here, and the exact depth is left to the validation rule.
 */
export function precheckDocument(query: string, limits: Pick<OperationLimits, 'maxTokens' | 'maxDepth'>): PrecheckRefusal | null {
  const maxNesting = limits.maxDepth * 4;
  let lexer: Lexer;
  try {
    lexer = new Lexer(new Source(query));
  } catch {
    return null;
  }
  let tokens = 0;
  let nesting = 0;
  let deepest = 0;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      if (++tokens > limits.maxTokens) {
        return { message: `the document exceeds the limit of ${limits.maxTokens} tokens`, code: BAD_REQUEST, limit: 'tokens' };
      }
      if (token.kind === TokenKind.BRACE_L) deepest = Math.max(deepest, ++nesting);
      else if (token.kind === TokenKind.BRACE_R) nesting--;
    }
  } catch {
    return null; // a syntax error: parse will report it with its location
  }
  if (deepest > maxNesting) {
    return { message: `depth ${deepest} exceeds the limit of ${limits.maxDepth}`, code: ErrorCode.QUERY_TOO_COMPLEX, limit: 'depth' };
  }
  return null;
}

/** How many passed documents `rememberingPrecheck` keeps, and the longest it keeps (characters). */
export const PASSED_DOCUMENTS = { maxEntries: 256, maxLength: 16 * 1024 } as const;

/**
 * `precheckDocument` for one app's limits, remembering the documents that passed (the check is a
 * pure function of the text): the same few operations arrive over and over (a partner's CheckPass
 * thousands of times a minute), and lexing each again was ≈ 3 % of a pass check's CPU and 10 KB of
 * its allocation. A refused document is never remembered. Bounded: the `maxEntries` most recently
 * used texts of at most `maxLength` characters (≈ 8 MB at worst); a caller sending new documents
 * only pushes others out.
 */
export function rememberingPrecheck(limits: Pick<OperationLimits, 'maxTokens' | 'maxDepth'>): {
  check(query: string): PrecheckRefusal | null;
  /** Texts remembered now (for tests and metrics). */
  readonly size: number;
} {
  const passed = new LRUCache<string, true>({ max: PASSED_DOCUMENTS.maxEntries });
  return {
    check(query) {
      if (passed.has(query)) return null;
      const refusal = precheckDocument(query, limits);
      if (!refusal && query.length <= PASSED_DOCUMENTS.maxLength) passed.set(query, true);
      return refusal;
    },
    get size() {
      return passed.size;
    },
  };
}
