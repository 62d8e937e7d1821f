// System figures: how far the log consumers are behind (issue 10).
import { z } from 'zod';

export const ZConsumerLag = z
  .object({
    name: z.string().meta({ description: 'the consumer, e.g. ingest.process' }),
    log: z.enum(['domain_events', 'ingest_log']),
    behind: z.number().int().meta({ description: 'entries of this workspace the consumer has not handled yet (counted up to 1,000,000)' }),
    oldestAt: z.string().nullable().meta({ description: 'when the oldest of them was appended' }),
    ageSeconds: z.number().meta({ description: 'how long the oldest has waited; 0 when caught up' }),
  })
  .meta({ id: 'ConsumerLag' });
export type ConsumerLag = z.infer<typeof ZConsumerLag>;
export const ZConsumerLagList = z.object({ data: z.array(ZConsumerLag) });
