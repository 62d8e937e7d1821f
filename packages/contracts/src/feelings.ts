// Feelings: how customers feel, read from what they write. A customer message carries the
// analyser's `sentiment`; a customer carries their `feeling`, the time-decayed average of the
// sentiment of their messages (half-life FEELING_HALF_LIFE_DAYS).
import { z } from 'zod';
import { ZIsoTime } from './common.js';

export const SENTIMENT_LABELS = ['negative', 'neutral', 'positive'] as const;
export const ZSentimentLabel = z.enum(SENTIMENT_LABELS);
export type SentimentLabel = z.infer<typeof ZSentimentLabel>;
export const SENTIMENT_SIGNALS = ['frustration', 'urgency', 'churn_risk', 'gratitude'] as const;
export const ZSentimentSignal = z.enum(SENTIMENT_SIGNALS);
/** A message's weight halves every this many days in its customer's feeling score. */
export const FEELING_HALF_LIFE_DAYS = 30;

export const ZSentiment = z
  .object({
    score: z.number().min(-1).max(1).meta({ description: 'from -1 (most negative) to 1 (most positive)' }),
    label: ZSentimentLabel.meta({ description: 'positive above 0.05, negative below -0.05, else neutral' }),
    signals: z.array(ZSentimentSignal).meta({ description: 'what a support team acts on: frustration, urgency, churn_risk, gratitude' }),
  })
  .meta({ id: 'Sentiment' });
export type SentimentReading = z.infer<typeof ZSentiment>;

export const ZFeeling = z
  .object({
    score: z.number().min(-1).max(1),
    label: ZSentimentLabel,
    updatedAt: ZIsoTime.meta({ description: 'when the latest scored message was written' }),
  })
  .meta({ id: 'Feeling', description: `time-decayed average sentiment of the customer's messages (half-life ${FEELING_HALF_LIFE_DAYS} days)` });
export type Feeling = z.infer<typeof ZFeeling>;
