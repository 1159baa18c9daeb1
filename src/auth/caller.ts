import ipaddr from 'ipaddr.js';

/**
 * Which caller an anonymous (PUBLIC) request counts as, for its self-service limits, its share of
 * the server (src/limits/admission.ts) and the pseudonym in the audit trail: its IPv4 address, or
 * the /64 network of its IPv6 address. A single IPv6 subscriber usually holds a whole /64 (often a
 * /56 or /48), so counting per address would give one caller 2^64 fresh counts. IPv4-mapped IPv6
 * addresses (::ffff:198.51.100.7, what a dual-stack socket reports) count as their IPv4 address.
 * Anything that is not an address (`unknown`, no socket) is its own caller.
 */
export function publicCallerOf(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16));
  return `${parts.join(':')}::/64`;
}
