export function age(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

export const dateTime = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

// Dark shades: badge text must keep a 4.5:1 contrast (axe checks it in e2e).
export const priorityColor: Record<string, string> = { low: '#495057', normal: '#1864ab', high: '#a63c06', urgent: '#b02525' };
export const statusColor: Record<string, string> = { open: '#1e6b33', pending: '#8a5a00', snoozed: '#862e9c', resolved: '#495057', closed: '#212529' };
