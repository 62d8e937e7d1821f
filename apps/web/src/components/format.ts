export function age(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

export const dateTime = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export const priorityColor: Record<string, string> = { low: 'gray', normal: 'blue', high: 'orange', urgent: 'red' };
export const statusColor: Record<string, string> = { open: 'green', pending: 'yellow', snoozed: 'grape', resolved: 'gray', closed: 'dark' };
