/** Roles of API callers (schema enum `Role`). No key means PUBLIC. */
export const ROLES = ['PUBLIC', 'PARTNER', 'GOV', 'HEALTH', 'CARRIER'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, resolved once per request in the context. */
export interface Viewer {
  role: Role;
  /** Id of the API key used (never the key itself); null for PUBLIC. */
  keyId: string | null;
  /** Owner name of the key, for audit and logs; null for PUBLIC. */
  keyName: string | null;
  /**
   * The transport or telecom operator a CARRIER key uploads for (`access.api_keys.operator`): its
   * uploads replace that operator's rows only, and it sees only that operator's jobs. Null for the other roles.
   */
  operator: string | null;
  /** Identifies the client for rate limits: the key id, else the remote address (IPv6: its /64; src/auth/caller.ts). */
  clientId: string;
}

export const PUBLIC_VIEWER = (clientId: string): Viewer => ({ role: 'PUBLIC', keyId: null, keyName: null, operator: null, clientId });
