/**
 * A person's name as shown to every role but HEALTH: enough for the holder or a partner at a
 * gate to recognise it, too little to identify a stranger.
 *
 *   1 character   *          (a lone character would reveal the whole name)
 *   2 characters  王*
 *   3+ characters 张*丰, 欧**娜  (first and last kept, everything between masked)
 *
 * Lengths are in Unicode code points, not UTF-16 units, so that rare characters outside the
 * Basic Multilingual Plane (e.g. 𠮷) count as one and are never split into half a surrogate pair.
 * Names in other scripts follow the same rule.
 */
export function maskName(name: string): string {
  const chars = Array.from(name.trim());
  if (chars.length === 0) return '';
  if (chars.length === 1) return '*';
  if (chars.length === 2) return `${chars[0]}*`;
  return chars[0] + '*'.repeat(chars.length - 2) + chars[chars.length - 1];
}
