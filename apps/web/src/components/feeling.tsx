// How a customer feels (their time-decayed feeling score) or how a message reads (its sentiment):
// a small badge whose colour and words say the same thing (never colour alone).
import { Badge, Tooltip } from '@mantine/core';

type Reading = { score: number; label: 'negative' | 'neutral' | 'positive' };

const COLOR = { negative: 'red', neutral: 'gray', positive: 'teal' } as const;
const WORD = { negative: 'Negative', neutral: 'Neutral', positive: 'Positive' } as const;
const SIGNAL: Record<string, string> = { frustration: 'Frustrated', urgency: 'Urgent', churn_risk: 'Churn risk', gratitude: 'Grateful' };

export const signedScore = (x: number) => `${x > 0 ? '+' : x < 0 ? '−' : ''}${Math.abs(x).toFixed(2)}`;

/** A customer's feeling: "Feels negative −0.42". */
export function FeelingBadge({ feeling, compact = false }: { feeling: (Reading & { updatedAt?: string }) | null | undefined; compact?: boolean }) {
  if (!feeling) return null;
  const text = compact ? WORD[feeling.label] : `Feels ${feeling.label} ${signedScore(feeling.score)}`;
  return (
    <Tooltip label={`Feeling score ${signedScore(feeling.score)}: the time-decayed average of how their messages read`} withinPortal>
      <Badge size="xs" variant="light" color={COLOR[feeling.label]} aria-label={`Customer feeling: ${feeling.label}, ${signedScore(feeling.score)}`}>
        {text}
      </Badge>
    </Tooltip>
  );
}

/** A message's sentiment with its signals: "Negative · Frustrated". */
export function SentimentBadge({ sentiment }: { sentiment: (Reading & { signals: string[] }) | null | undefined }) {
  if (!sentiment) return null;
  const signals = sentiment.signals.map((s) => SIGNAL[s] ?? s);
  return (
    <Badge
      size="xs"
      variant="outline"
      color={COLOR[sentiment.label]}
      aria-label={`Reads ${sentiment.label} (${signedScore(sentiment.score)})${signals.length ? `: ${signals.join(', ')}` : ''}`}
    >
      {[WORD[sentiment.label], ...signals].join(' · ')}
    </Badge>
  );
}
