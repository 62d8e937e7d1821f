// Row types of every table, as Kysely sees them. Timestamps are ISO 8601 UTC strings and
// JSON columns are text on both engines, so rows read the same from SQLite and PostgreSQL.
import type { Generated } from 'kysely';
export type WorkspaceRow = { id: string; name: string; conversation_seq: number; created_at: string; identity_secret: string | null };
export type UserRow = { id: string; email: string; name: string; password_hash: string | null; created_at: string };
export type MemberRow = {
  workspace_id: string;
  user_id: string;
  id: string;
  role: string;
  status: string;
  availability: string;
  capacity: number | null;
  invite_token_hash: string | null;
  invite_expires_at: string | null;
  invited_by: string | null;
  last_assigned_at: string | null;
  created_at: string;
};
export type TeamRow = { workspace_id: string; id: string; name: string; auto_assign: number; created_at: string };
export type TeamMemberRow = { workspace_id: string; team_id: string; user_id: string };
export type SessionRow = { id_hash: string; user_id: string; workspace_id: string; created_at: string; expires_at: string };
export type ApiTokenRow = {
  workspace_id: string;
  id: string;
  user_id: string;
  name: string;
  prefix: string;
  token_hash: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
};
export type AuditRow = {
  workspace_id: string;
  id: string;
  actor_type: string;
  actor_id: string | null;
  action: string;
  object_type: string;
  object_id: string | null;
  data: string;
  ip: string | null;
  created_at: string;
};
export type IdempotencyRow = {
  workspace_id: string;
  principal: string;
  key: string;
  method: string;
  path: string;
  request_hash: string;
  status_code: number | null;
  response: string | null;
  created_at: string;
};
export type JobRow = {
  id: string;
  workspace_id: string;
  type: string;
  payload: string;
  status: string;
  attempts: number;
  max_attempts: number;
  run_at: string;
  locked_until: string | null;
  last_error: string | null;
  idempotency_key: string;
  created_at: string;
  updated_at: string;
};
export type CustomerRow = {
  workspace_id: string;
  id: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  traits: string;
  created_at: string;
  updated_at: string;
  merged_into_id: string | null;
  /** Feelings (migration 015): the time-decayed average sentiment, and its decayed sum and weight at feeling_at. */
  feeling_score?: number | null;
  feeling_label?: string | null;
  feeling_sum?: number | null;
  feeling_weight?: number | null;
  feeling_at?: string | null;
};
export type IdentityRow = { workspace_id: string; kind: string; value: string; customer_id: string; created_at: string };
export type ConversationRow = {
  workspace_id: string;
  id: string;
  number: number;
  customer_id: string;
  channel: string;
  subject: string | null;
  category: string;
  status: string;
  snoozed_until: string | null;
  priority: string;
  assignee_id: string | null;
  team_id: string | null;
  tags: string;
  custom_fields: string;
  origin: string;
  touchpoint_id: string | null;
  merged_into_id: string | null;
  message_count: number;
  last_message_preview: string | null;
  created_at: string;
  updated_at: string;
  last_activity_at: string;
  first_response_at: string | null;
  resolved_at: string | null;
  first_response_seconds: number | null;
  resolution_seconds: number | null;
  /** Channels (migration 008): the inbox it came through and its id in an external system. */
  inbox_id?: string | null;
  external_id?: string | null;
};
export type ConversationTagRow = { workspace_id: string; conversation_id: string; tag: string };
export type MessageRow = {
  workspace_id: string;
  id: string;
  conversation_id: string;
  kind: string;
  author_type: string;
  author_id: string | null;
  body: string;
  created_at: string;
  /** Channels (migration 008): how it travelled, its provider id, sanitised HTML, outbound delivery. */
  channel?: string | null;
  external_id?: string | null;
  html?: string | null;
  delivery_status?: string | null;
  delivery_error?: string | null;
  delivery_attempts?: number | null;
  delivery_at?: string | null;
  /** Feelings (migration 015): the analyser's reading of a customer's message. */
  sentiment_score?: number | null;
  sentiment_label?: string | null;
  sentiment_signals?: string | null;
};
/** A chat widget visitor (migration 014). */
export type WidgetVisitorRow = {
  workspace_id: string;
  id: string;
  inbox_id: string;
  user_id: string | null;
  token_hash: string;
  customer_id: string | null;
  email: string | null;
  name: string | null;
  page_url: string | null;
  online_until: number | string;
  created_at: string;
  last_seen_at: string;
};
export type MessagePhraseRow = {
  workspace_id: string;
  message_id: string;
  phrase: string;
  topic: string;
  customer_id: string;
  score: number;
  created_at: string;
};
export type InboxRow = {
  workspace_id: string;
  id: string;
  channel: string;
  name: string;
  address: string | null;
  team_id: string | null;
  settings: string;
  secrets: string;
  enabled: number;
  is_default: number;
  created_at: string;
  updated_at: string;
};
export type MessageAttachmentRow = {
  workspace_id: string;
  id: string;
  message_id: string;
  conversation_id: string;
  filename: string;
  content_type: string;
  size: number;
  storage_key: string;
  created_at: string;
};
export type CustomFieldRow = {
  workspace_id: string;
  id: string;
  key: string;
  label: string;
  type: string;
  options: string;
  created_at: string;
};
export type CannedResponseRow = {
  workspace_id: string;
  id: string;
  shortcut: string;
  title: string;
  body: string;
  created_at: string;
  updated_at: string;
};
export type InteractionRow = {
  workspace_id: string;
  id: string;
  customer_id: string;
  occurred_at: string;
  received_at: string;
  kind: string;
  name: string;
  channel: string | null;
  touchpoint_id: string | null;
  stage: string | null;
  department: string | null;
  origin: string;
  conversation_id: string | null;
  sentiment: number | null;
  emotion: string | null;
  source_id: string;
  properties: string;
};
export type WriteKeyRow = {
  workspace_id: string;
  id: string;
  name: string;
  prefix: string;
  key_hash: string;
  created_by: string | null;
  created_at: string;
  revoked_at: string | null;
  kind: string;
  /** JSON array of origins allowed to send with a client key; empty means any. */
  allowed_origins: string;
};
export type JourneySettingsRow = { workspace_id: string; stages: string; departments: string; updated_at: string };
export type TouchpointRow = {
  workspace_id: string;
  id: string;
  key: string;
  name: string;
  channel: string | null;
  stage: string | null;
  department: string | null;
  critical: number;
  position: number;
  rules: string;
  created_at: string;
  updated_at: string;
};
export type CustomerJourneyRow = { workspace_id: string; customer_id: string; stage: string; stage_at: string; updated_at: string };
export type OrganizationRow = {
  workspace_id: string;
  id: string;
  group_id: string;
  name: string | null;
  traits: string;
  created_at: string;
  updated_at: string;
};
export type OrganizationMemberRow = { workspace_id: string; organization_id: string; customer_id: string; created_at: string };
export type CustomerMergeRow = { workspace_id: string; merged_id: string; survivor_id: string; reason: string; created_at: string };
export type RejectedEventRow = {
  workspace_id: string;
  id: string;
  received_at: string;
  message_id: string | null;
  type: string | null;
  reason: string;
  user_id: string | null;
  anonymous_id: string | null;
  payload: string;
};
export type MessageSearchRow = { body: string; workspace_id: string; conversation_id: string; ref_id: string };

export type RejectedEventCountRow = { workspace_id: string; day: string; kept: number; dropped: number };
/** How far retention has trimmed each partition of a log (readers resuming before it have a gap). */
export type LogTrimRow = { log: string; partition: number; tx: number; seq: number };
/** A row of a log (domain_events, ingest_log); seq and tx are set by the database. */
export type LogEntryRow = {
  seq: Generated<number | string>;
  tx: Generated<number | string>;
  partition: number;
  workspace_id: string;
  type: string;
  meta: string | null;
  data: string;
  created_at: string;
};
export type LogCursorRow = { consumer: string; partition: number; tx: number | string; seq: number | string; updated_at: string };
export type WebhookRow = {
  workspace_id: string;
  id: string;
  url: string;
  /** JSON array of event names ("*" for all). */
  events: string;
  description: string | null;
  include_internal: number;
  enabled: number;
  secret: string;
  previous_secret: string | null;
  previous_secret_until: string | null;
  disabled_reason: string | null;
  disabled_at: string | null;
  failing_since: string | null;
  last_success_at: string | null;
  created_at: string;
  updated_at: string;
};
export type WebhookDeliveryRow = {
  workspace_id: string;
  id: string;
  webhook_id: string;
  message_id: string;
  event_type: string;
  payload: string;
  status: string;
  manual: number;
  redelivery_of: string | null;
  attempts: number;
  next_attempt_at: string | null;
  last_attempt_at: string | null;
  last_status: number | null;
  last_response: string | null;
  last_error: string | null;
  last_duration_ms: number | null;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
};
export type SurveyRow = {
  workspace_id: string;
  id: string;
  name: string;
  type: string;
  /** JSON: title, question, commentPrompt, thanks, questions, translations. */
  content: string;
  trigger: string;
  trigger_type: string;
  throttle_days: number;
  link_days: number;
  follow_up: number;
  follow_up_team_id: string | null;
  recovery_survey_id: string | null;
  enabled: number;
  /** 'email' | 'chat' | 'auto' (the channel the trigger's conversation came on). */
  delivery: string;
  created_at: string;
  updated_at: string;
};
export type SurveySendRow = {
  workspace_id: string;
  id: string;
  survey_id: string;
  customer_id: string;
  trigger_key: string;
  /** scheduled → sent | skipped. */
  status: string;
  skip_reason: string | null;
  run_at: string;
  sent_at: string | null;
  expires_at: string | null;
  conversation_id: string | null;
  team_id: string | null;
  agent_id: string | null;
  channel: string | null;
  touchpoint_id: string | null;
  stage: string | null;
  recovery_of: string | null;
  /** How it went once sent: 'email' | 'chat'. */
  delivery: string | null;
  created_at: string;
};
export type SurveyResponseRow = {
  workspace_id: string;
  id: string;
  survey_id: string;
  send_id: string;
  customer_id: string;
  score: number | null;
  comment: string | null;
  answers: string;
  sentiment_score: number | null;
  sentiment_label: string | null;
  language: string | null;
  conversation_id: string | null;
  team_id: string | null;
  agent_id: string | null;
  channel: string | null;
  touchpoint_id: string | null;
  stage: string | null;
  department: string | null;
  recovery_of: string | null;
  /** 'email' | 'chat': how the send it answers was delivered. */
  delivery: string | null;
  created_at: string;
  updated_at: string;
};
export type SurveyFollowUpRow = {
  workspace_id: string;
  id: string;
  response_id: string;
  survey_id: string;
  customer_id: string;
  conversation_id: string;
  /** open → resolved. */
  status: string;
  recovery_send_id: string | null;
  /** null until a recovery answer says. */
  recovered: number | null;
  created_at: string;
  resolved_at: string | null;
};
export type SurveySecretRow = { workspace_id: string; secret: string; created_at: string };
export type RuleRow = {
  workspace_id: string;
  id: string;
  name: string;
  enabled: number;
  purpose: string;
  trigger_type: string;
  trigger: string;
  conditions: string | null;
  actions: string;
  goal: string | null;
  next_run_at: string | null;
  created_at: string;
  updated_at: string;
};
export type RuleFiringRow = {
  workspace_id: string;
  id: string;
  rule_id: string;
  customer_id: string;
  conversation_id: string | null;
  fire_key: string;
  status: string;
  reason: string | null;
  facts: string;
  outcomes: string;
  run_at: string;
  created_at: string;
  fired_at: string | null;
};
export type RuleWaitRow = {
  workspace_id: string;
  id: string;
  rule_id: string;
  customer_id: string;
  conversation_id: string | null;
  start_ref: string;
  correlation: string | null;
  started_at: string;
  due_at: string;
  facts: string;
};
export type RuleStateRow = { workspace_id: string; rule_id: string; customer_id: string; matched: number; updated_at: string };
export type RuleContactRow = { workspace_id: string; customer_id: string; at: string; source: string; ref: string };
export type ContactPolicyRow = { workspace_id: string; policy: string; updated_at: string };
export type RuleSlaBreachRow = { workspace_id: string; conversation_id: string; customer_id: string; at: string };
/** SLA (migration 020). Instants the sweep compares are epoch milliseconds (bigint on PostgreSQL). */
export type SlaCalendarRow = {
  workspace_id: string;
  id: string;
  name: string;
  time_zone: string;
  always_open: number;
  /** JSON SlaInterval[]. */
  hours: string;
  /** JSON string[] of local dates. */
  holidays: string;
  team_id: string | null;
  is_default: number;
  created_at: string;
  updated_at: string;
};
export type SlaPolicyRow = {
  workspace_id: string;
  id: string;
  name: string;
  position: number;
  enabled: number;
  conditions: string;
  targets: string;
  calendar_id: string | null;
  warning: string | null;
  created_at: string;
  updated_at: string;
};
export type SlaConversationRow = {
  workspace_id: string;
  conversation_id: string;
  customer_id: string;
  policy_id: string | null;
  /** JSON: the conversation's last known status, priority, category, channel, team and assignee. */
  state: string;
  paused_since: string | null;
  next_due_ms: number | string | null;
  created_at: string;
  updated_at: string;
};
export type SlaMetricRow = {
  workspace_id: string;
  conversation_id: string;
  metric: string;
  seq: number;
  customer_id: string;
  policy_id: string;
  /** open → met | breached (decided), or cancelled (no verdict: resolved without a reply, merged). */
  status: string;
  paused: number;
  start_at: string;
  target_ms: number | string;
  /** Business time spent paused since the start. */
  paused_ms: number | string;
  due_ms: number | string | null;
  warn_ms: number | string | null;
  warned_at: string | null;
  breached_at: string | null;
  satisfied_at: string | null;
  decided_at: string | null;
  outcome: string | null;
  team_id: string | null;
  assignee_id: string | null;
  channel: string;
};
export type Database = {
  workspaces: WorkspaceRow;
  users: UserRow;
  members: MemberRow;
  teams: TeamRow;
  team_members: TeamMemberRow;
  sessions: SessionRow;
  api_tokens: ApiTokenRow;
  audit_log: AuditRow;
  idempotency_keys: IdempotencyRow;
  jobs: JobRow;
  customers: CustomerRow;
  identities: IdentityRow;
  conversations: ConversationRow;
  conversation_tags: ConversationTagRow;
  messages: MessageRow;
  inboxes: InboxRow;
  message_attachments: MessageAttachmentRow;
  custom_fields: CustomFieldRow;
  canned_responses: CannedResponseRow;
  interactions: InteractionRow;
  message_phrases: MessagePhraseRow;
  message_search: MessageSearchRow;
  write_keys: WriteKeyRow;
  journey_settings: JourneySettingsRow;
  touchpoints: TouchpointRow;
  customer_journeys: CustomerJourneyRow;
  organizations: OrganizationRow;
  organization_members: OrganizationMemberRow;
  customer_merges: CustomerMergeRow;
  rejected_events: RejectedEventRow;
  rejected_event_counts: RejectedEventCountRow;
  domain_events: LogEntryRow;
  ingest_log: LogEntryRow;
  log_cursors: LogCursorRow;
  log_trims: LogTrimRow;
  webhooks: WebhookRow;
  webhook_deliveries: WebhookDeliveryRow;
  widget_visitors: WidgetVisitorRow;
  surveys: SurveyRow;
  survey_sends: SurveySendRow;
  survey_responses: SurveyResponseRow;
  survey_follow_ups: SurveyFollowUpRow;
  survey_secrets: SurveySecretRow;
  rules: RuleRow;
  rule_firings: RuleFiringRow;
  rule_waits: RuleWaitRow;
  rule_states: RuleStateRow;
  rule_contacts: RuleContactRow;
  contact_policies: ContactPolicyRow;
  rule_sla_breaches: RuleSlaBreachRow;
  sla_calendars: SlaCalendarRow;
  sla_policies: SlaPolicyRow;
  sla_conversations: SlaConversationRow;
  sla_metrics: SlaMetricRow;
};
