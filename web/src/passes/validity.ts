/**
 * End of a pass's validity in words, "12月2日 24:00": passes end at 24:00 China Standard Time of
 * their issue day (src/pass/token.ts), which as a clock time would read as the next day's 00:00.
 */
export function validUntilWords(validUntil: string): string {
  const day = new Date(new Date(validUntil).getTime() - 1).toLocaleDateString('zh-CN', { timeZone: 'Asia/Shanghai', month: 'long', day: 'numeric' });
  return `${day} 24:00`;
}

export function isExpired(validUntil: string, now = Date.now()): boolean {
  return new Date(validUntil).getTime() <= now;
}
