// Customers of a workspace (the people a help desk serves).
import { z } from 'zod';
import { ZFeeling } from './feelings.js';
import { ZIsoTime } from './common.js';

export const ZTraits = z.record(z.string(), z.unknown());

export const ZCustomer = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    traits: ZTraits,
    feeling: ZFeeling.nullable().meta({ description: 'time-decayed average sentiment of their messages; null until one is scored' }),
    createdAt: ZIsoTime,
    updatedAt: ZIsoTime,
  })
  .meta({ id: 'Customer' });
export type Customer = z.infer<typeof ZCustomer>;

const phone = z
  .string()
  .trim()
  .min(3)
  .max(40)
  .regex(/^[+0-9 ().-]+$/, 'digits, spaces, +, (, ), . and - only');

export const ZCreateCustomer = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    email: z
      .email()
      .max(254)
      .transform((s) => s.toLowerCase())
      .optional(),
    phone: phone.optional(),
    traits: ZTraits.optional(),
  })
  .refine((c) => c.name ?? c.email ?? c.phone, { message: 'name, email or phone is required' });

export const ZUpdateCustomer = z.strictObject({
  name: z.string().trim().min(1).max(200).nullable().optional(),
  email: z
    .email()
    .max(254)
    .transform((s) => s.toLowerCase())
    .nullable()
    .optional(),
  phone: phone.nullable().optional(),
  traits: ZTraits.optional(),
});

export const ZCustomerQuery = z.object({ q: z.string().trim().max(200).optional() });
