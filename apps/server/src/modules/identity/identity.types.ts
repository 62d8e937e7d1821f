// An identity of a customer: (kind, value), unique per workspace.
export type IdentityKey = { kind: string; value: string };
