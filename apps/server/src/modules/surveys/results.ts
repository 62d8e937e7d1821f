// The results maths (docs/surveys.md): NPS with the normal interval of the promoter − detractor
// difference, CSAT with the Wilson score interval, CES mean with Student's t interval.
import { SURVEY_SCALES } from '@rapport/contracts';

const Z95 = 1.959963984540054;

/** Student's t 97.5 % quantiles for 1–30 degrees of freedom; beyond 30 the normal's 1.96 is close enough (≤ 2 %). */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069,
  2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export function t975(df: number): number {
  return df >= 1 && df <= 30 ? (T975[df - 1] as number) : Z95;
}

const round = (v: number, digits = 4) => Math.round(v * 10 ** digits) / 10 ** digits;

export function npsOf(scores: number[]) {
  const n = scores.length;
  if (n === 0) return null;
  const promoters = scores.filter((s) => s >= 9).length;
  const detractors = scores.filter((s) => s <= 6).length;
  const p = promoters / n;
  const d = detractors / n;
  const score = (p - d) * 100;
  // Each answer is +1, 0 or −1: the variance of their mean is (p + d − (p − d)²) / n.
  const half = Z95 * Math.sqrt(Math.max(0, p + d - (p - d) ** 2) / n) * 100;
  return {
    score: round(score, 2),
    promoters,
    passives: n - promoters - detractors,
    detractors,
    ci95: { low: round(Math.max(-100, score - half), 2), high: round(Math.min(100, score + half), 2) },
  };
}

/** The Wilson score interval of a proportion k/n at 95 %. */
export function wilson(k: number, n: number) {
  const p = k / n;
  const z2 = Z95 * Z95;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (Z95 * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

export function csatOf(scores: number[]) {
  const n = scores.length;
  if (n === 0) return null;
  const satisfied = scores.filter((s) => s >= 4).length;
  const w = wilson(satisfied, n);
  return { percent: round((satisfied / n) * 100, 2), satisfied, ci95: { low: round(w.low * 100, 2), high: round(w.high * 100, 2) } };
}

export function cesOf(scores: number[]) {
  const n = scores.length;
  if (n === 0) return null;
  const mean = scores.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(scores.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  const half = n > 1 ? (t975(n - 1) * sd) / Math.sqrt(n) : 0;
  return { mean: round(mean), sd: round(sd), ci95: { low: round(mean - half), high: round(mean + half) } };
}

/** Whether an answer is an unhappy one: a detractor, a dissatisfied CSAT, a hard CES. */
export function isUnhappy(type: string, score: number | null): boolean {
  if (score === null) return false;
  if (type === 'nps') return score <= 6;
  if (type === 'csat') return score <= 2;
  if (type === 'ces') return score <= 3;
  return false;
}

/** The start of the period an instant falls in (UTC; weeks start on Monday). */
export function periodOf(iso: string, period: 'day' | 'week' | 'month'): string {
  const d = new Date(iso);
  if (period === 'month') return `${d.toISOString().slice(0, 7)}-01`;
  if (period === 'week') {
    const day = (d.getUTCDay() + 6) % 7;
    return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day)).toISOString().slice(0, 10);
  }
  return d.toISOString().slice(0, 10);
}

type ResponseLike = {
  id: string;
  score: number | null;
  comment: string | null;
  sentiment_score: number | null;
  created_at: string;
  team_id: string | null;
  agent_id: string | null;
  channel: string | null;
  touchpoint_id: string | null;
  stage: string | null;
  department: string | null;
};
type SendLike = {
  team_id: string | null;
  agent_id: string | null;
  channel: string | null;
  touchpoint_id: string | null;
  stage: string | null;
  sent_at: string | null;
};
type FollowUpLike = { response_id: string; status: string; recovered: number | null };

export type Dimension = 'team' | 'agent' | 'channel' | 'touchpoint' | 'stage' | 'department' | 'period';

function keyOf(r: ResponseLike | SendLike, by: Dimension, period: 'day' | 'week' | 'month'): string | null | undefined {
  switch (by) {
    case 'team':
      return r.team_id;
    case 'agent':
      return r.agent_id;
    case 'channel':
      return r.channel;
    case 'touchpoint':
      return r.touchpoint_id;
    case 'stage':
      return r.stage;
    case 'department':
      // A send does not know its department before the answer is classified.
      return 'department' in r ? r.department : undefined;
    case 'period': {
      const at = 'created_at' in r ? r.created_at : r.sent_at;
      return at ? periodOf(at, period) : null;
    }
  }
}

/** How many answers gave each score: every point of a fixed scale (zeros included), the scores seen for a custom survey. */
export function distributionOf(type: string, scores: number[]) {
  const counts = new Map<number, number>();
  const scale = type === 'nps' || type === 'csat' || type === 'ces' ? SURVEY_SCALES[type] : null;
  if (scale) for (let v = scale.min; v <= scale.max; v++) counts.set(v, 0);
  for (const s of scores) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].sort((a, b) => a[0] - b[0]).map(([score, count]) => ({ score, count }));
}

export function figuresOf(type: string, responses: ResponseLike[], sent: number | null, followUps: FollowUpLike[], comments: number) {
  const scores = responses.map((r) => r.score).filter((s): s is number => s !== null);
  const ids = new Set(responses.map((r) => r.id));
  const loops = followUps.filter((f) => ids.has(f.response_id));
  const withComments = responses.filter((r) => r.comment);
  return {
    responses: responses.length,
    sent: sent ?? 0,
    responseRate: sent ? Math.round((responses.length / sent) * 10_000) / 10_000 : null,
    nps: type === 'nps' ? npsOf(scores) : null,
    csat: type === 'csat' ? csatOf(scores) : null,
    ces: type === 'ces' ? cesOf(scores) : null,
    distribution: distributionOf(type, scores),
    loop: {
      followUps: loops.length,
      open: loops.filter((f) => f.status === 'open').length,
      resolved: loops.filter((f) => f.status !== 'open').length,
      recovered: loops.filter((f) => f.recovered === 1).length,
      notRecovered: loops.filter((f) => f.recovered === 0).length,
    },
    // Newest first (ids are time-ordered).
    comments: withComments
      .sort((a, b) => (a.id < b.id ? 1 : -1))
      .slice(0, comments)
      .map((r) => ({ responseId: r.id, score: r.score, comment: r.comment ?? '', sentiment: r.sentiment_score, at: r.created_at })),
  };
}

export function groupedFigures(
  type: string,
  responses: ResponseLike[],
  sends: SendLike[],
  followUps: FollowUpLike[],
  by: Dimension,
  period: 'day' | 'week' | 'month',
  comments: number,
) {
  const groups = new Map<string | null, ResponseLike[]>();
  for (const r of responses) {
    const k = keyOf(r, by, period) ?? null;
    const list = groups.get(k);
    if (list) list.push(r);
    else groups.set(k, [r]);
  }
  const sentBy = new Map<string | null, number>();
  if (by !== 'department')
    for (const s of sends) {
      const k = keyOf(s, by, period) ?? null;
      sentBy.set(k, (sentBy.get(k) ?? 0) + 1);
    }
  const keys = [...new Set([...groups.keys(), ...sentBy.keys()])].sort((a, b) => (a === null ? 1 : b === null ? -1 : a.localeCompare(b)));
  return keys.map((key) => ({ key, ...figuresOf(type, groups.get(key) ?? [], by === 'department' ? null : (sentBy.get(key) ?? 0), followUps, comments) }));
}

/** One CSV cell (RFC 4180): quoted when needed; text that a spreadsheet would run as a formula is defused. */
export function csvCell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return String(v);
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export const csvRow = (cells: Array<string | number | null | undefined>) => `${cells.map(csvCell).join(',')}\r\n`;
