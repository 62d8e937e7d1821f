// Inbox addresses (review finding M1): an email address stays unique on the server (mail is routed
// by it), a phone number or a page id becomes unique only within its workspace — providers' webhooks
// name the inbox in their path, so a global index only let one tenant squat another's number.
import { sql } from 'kysely';
import type { AnyDb } from './migrations.js';

export async function m018InboxAddresses(db: AnyDb): Promise<void> {
  await sql`DROP INDEX inboxes_address`.execute(db);
  await sql`CREATE UNIQUE INDEX inboxes_email_address ON inboxes (address) WHERE channel = 'email' AND address IS NOT NULL`.execute(db);
  await sql`CREATE UNIQUE INDEX inboxes_workspace_address ON inboxes (workspace_id, channel, address) WHERE channel <> 'email' AND address IS NOT NULL`.execute(
    db,
  );
}
