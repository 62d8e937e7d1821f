// Feelings: how customers feel, read from what they write. A customer message carries the
// analyser's `sentiment`; a customer carries their `feeling`, the time-decayed average of the
// sentiment of their messages (half-life FEELING_HALF_LIFE_DAYS).
import { z } from 'zod';
import { ZIsoTime } from './common.js';
import { SENTIMENT_LABELS } from './values.js';

export { SENTIMENT_LABELS };

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

export const ZTopicsQuery = z.object({
  from: z.iso.datetime({ offset: true }).optional().meta({ description: 'start of the period (default: 30 days before `to`)' }),
  to: z.iso.datetime({ offset: true }).optional().meta({ description: 'end of the period, exclusive (default: now)' }),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
export const ZTopic = z
  .object({
    topic: z.string().meta({ description: "the phrases' head word" }),
    messages: z.number().int(),
    customers: z.number().int(),
    share: z.number().meta({ description: "messages ÷ the period's customer messages with a key phrase" }),
    averageSentiment: z.number().min(-1).max(1),
    negative: z.number().int().meta({ description: 'messages about it that read negative' }),
    phrases: z.array(z.object({ phrase: z.string(), count: z.number().int() })).meta({ description: 'its most written phrases (at most 5)' }),
  })
  .meta({ id: 'Topic' });
export const ZTopics = z
  .object({
    from: ZIsoTime,
    to: ZIsoTime,
    messages: z.number().int().meta({ description: 'customer messages of the period with at least one key phrase' }),
    data: z.array(ZTopic),
  })
  .meta({ id: 'Topics' });
export type Topics = z.infer<typeof ZTopics>;
