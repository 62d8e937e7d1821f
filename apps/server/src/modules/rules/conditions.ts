// Rule conditions: an AND/OR/NOT tree of typed {field, op, value} tests over the customer, the
// conversation and the triggering event. Validated on save (known fields, operators that suit
// the field's type, values of that type, at most MAX_CONDITION_NODES nodes and MAX_CONDITION_DEPTH
// levels), evaluated in one pass with no regular expressions: linear in the tree and its values.
import {
  CONDITION_FIELDS,
  MAX_CONDITION_DEPTH,
  MAX_CONDITION_NODES,
  OPEN_FIELD_PREFIXES,
  type Condition,
  type ConditionLeaf,
  type FieldType,
} from '@rapport/contracts';

export type Facts = {
  customer?: Record<string, unknown> | undefined;
  conversation?: Record<string, unknown> | undefined;
  event?: Record<string, unknown> | undefined;
};

export type ConditionError = { path: string; message: string };

export function fieldType(field: string): FieldType | null {
  if (field in CONDITION_FIELDS) return CONDITION_FIELDS[field as keyof typeof CONDITION_FIELDS];
  for (const p of OPEN_FIELD_PREFIXES) if (field.startsWith(p) && field.length > p.length) return 'any';
  return null;
}

const ORDERED = new Set(['gt', 'gte', 'lt', 'lte']);
const LISTED = new Set(['in', 'not_in']);
const TEXT = new Set(['contains', 'starts_with']);
const PRESENCE = new Set(['exists', 'not_exists']);

function leafErrors(leaf: ConditionLeaf, path: string, allowed: ReadonlySet<string>): ConditionError[] {
  const type = fieldType(leaf.field);
  const root = leaf.field.split('.')[0] as string;
  if (!type) return [{ path: `${path}.field`, message: `unknown field ${leaf.field}` }];
  if (!allowed.has(root)) return [{ path: `${path}.field`, message: `this trigger has no ${root} to read ${leaf.field} from` }];
  const v = leaf.value;
  if (PRESENCE.has(leaf.op)) return v === undefined ? [] : [{ path: `${path}.value`, message: `${leaf.op} takes no value` }];
  if (v === undefined) return [{ path: `${path}.value`, message: `${leaf.op} needs a value` }];
  if (LISTED.has(leaf.op)) return Array.isArray(v) && v.length > 0 ? [] : [{ path: `${path}.value`, message: `${leaf.op} needs a list of values` }];
  if (Array.isArray(v)) return [{ path: `${path}.value`, message: `${leaf.op} compares with one value, not a list` }];
  if (ORDERED.has(leaf.op)) {
    if (type === 'string' || type === 'list') return [{ path: `${path}.op`, message: `${leaf.field} is text: ${leaf.op} needs a number or a time` }];
    if (type === 'number' && typeof v !== 'number') return [{ path: `${path}.value`, message: `${leaf.field} is a number` }];
    if (type === 'time' && (typeof v !== 'string' || Number.isNaN(Date.parse(v))))
      return [{ path: `${path}.value`, message: `${leaf.field} is a time: give an ISO 8601 timestamp` }];
    if (type === 'any' && typeof v !== 'number' && (typeof v !== 'string' || Number.isNaN(Date.parse(v))))
      return [{ path: `${path}.value`, message: `${leaf.op} needs a number or an ISO 8601 time` }];
    return [];
  }
  if (TEXT.has(leaf.op)) {
    if (type === 'number' || type === 'time') return [{ path: `${path}.op`, message: `${leaf.field} is not text: ${leaf.op} does not apply` }];
    if (typeof v !== 'string') return [{ path: `${path}.value`, message: `${leaf.op} needs text` }];
    if (leaf.op === 'starts_with' && type === 'list') return [{ path: `${path}.op`, message: `${leaf.field} is a list: use contains` }];
    return [];
  }
  // eq / neq
  if (type === 'number' && typeof v !== 'number') return [{ path: `${path}.value`, message: `${leaf.field} is a number` }];
  if ((type === 'string' || type === 'time') && typeof v !== 'string') return [{ path: `${path}.value`, message: `${leaf.field} is text` }];
  if (type === 'list') return [{ path: `${path}.op`, message: `${leaf.field} is a list: use contains` }];
  return [];
}

/** Every problem with a condition tree, given which roots (customer, conversation, event) its trigger provides. */
export function validateCondition(cond: Condition, path: string, allowed: ReadonlySet<string>): ConditionError[] {
  const errors: ConditionError[] = [];
  let nodes = 0;
  const walk = (c: Condition, p: string, depth: number) => {
    nodes++;
    if (nodes > MAX_CONDITION_NODES) return;
    if (depth > MAX_CONDITION_DEPTH) {
      errors.push({ path: p, message: `conditions nest at most ${MAX_CONDITION_DEPTH} levels deep` });
      return;
    }
    if ('all' in c) c.all.forEach((x, i) => walk(x, `${p}.all.${i}`, depth + 1));
    else if ('any' in c) c.any.forEach((x, i) => walk(x, `${p}.any.${i}`, depth + 1));
    else if ('not' in c) walk(c.not, `${p}.not`, depth + 1);
    else errors.push(...leafErrors(c, p, allowed));
  };
  walk(cond, path, 1);
  if (nodes > MAX_CONDITION_NODES) errors.push({ path, message: `at most ${MAX_CONDITION_NODES} tests and groups` });
  return errors;
}

/** The value a field names in the facts (own properties only: `__proto__` and friends read nothing). */
export function read(facts: Facts, field: string): unknown {
  const parts = field.split('.');
  let cur: unknown = facts;
  for (const part of parts) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function comparable(a: unknown, b: unknown): [number, number] | null {
  if (typeof a === 'number' && typeof b === 'number') return [a, b];
  if (typeof b === 'string' && typeof a === 'string') {
    const x = Date.parse(a);
    const y = Date.parse(b);
    if (!Number.isNaN(x) && !Number.isNaN(y)) return [x, y];
  }
  if (typeof b === 'number' && typeof a === 'string' && a.trim() !== '' && Number.isFinite(Number(a))) return [Number(a), b];
  return null;
}

const same = (a: unknown, b: unknown) => a === b || (typeof a === 'string' && typeof b === 'string' && a.toLowerCase() === b.toLowerCase());

function test(leaf: ConditionLeaf, facts: Facts): boolean {
  const actual = read(facts, leaf.field);
  const v = leaf.value;
  switch (leaf.op) {
    case 'exists':
      return actual !== undefined && actual !== null && actual !== '';
    case 'not_exists':
      return actual === undefined || actual === null || actual === '';
    case 'eq':
      return same(actual, v);
    case 'neq':
      return !same(actual, v);
    case 'in':
      return Array.isArray(v) && v.some((x) => same(actual, x));
    case 'not_in':
      return Array.isArray(v) && !v.some((x) => same(actual, x));
    case 'contains':
      if (Array.isArray(actual)) return actual.some((x) => same(x, v));
      return typeof actual === 'string' && typeof v === 'string' && actual.toLowerCase().includes(v.toLowerCase());
    case 'starts_with':
      return typeof actual === 'string' && typeof v === 'string' && actual.toLowerCase().startsWith(v.toLowerCase());
    default: {
      const pair = comparable(actual, v);
      if (!pair) return false;
      const [a, b] = pair;
      return leaf.op === 'gt' ? a > b : leaf.op === 'gte' ? a >= b : leaf.op === 'lt' ? a < b : a <= b;
    }
  }
}

const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v) : JSON.stringify(v));

/** Whether the tree holds for these facts; `why` collects the tests that decided it, in words. */
export function evaluate(cond: Condition, facts: Facts, why?: string[]): boolean {
  if ('all' in cond) return cond.all.every((c) => evaluate(c, facts, why));
  if ('any' in cond) return cond.any.some((c) => evaluate(c, facts, why));
  if ('not' in cond) return !evaluate(cond.not, facts, undefined);
  const ok = test(cond, facts);
  if (ok && why && why.length < 20)
    why.push(
      `${cond.field} ${cond.op.replace('_', ' ')}${cond.value === undefined ? '' : ` ${show(cond.value)}`} (is ${show(read(facts, cond.field) ?? null)})`,
    );
  return ok;
}

/** The roots a tree reads (which facts must be loaded to evaluate it). */
export function rootsOf(cond: Condition | null | undefined, into = new Set<string>()): Set<string> {
  if (!cond) return into;
  if ('all' in cond) cond.all.forEach((c) => rootsOf(c, into));
  else if ('any' in cond) cond.any.forEach((c) => rootsOf(c, into));
  else if ('not' in cond) rootsOf(cond.not, into);
  else into.add(cond.field.split('.').slice(0, 2).join('.'));
  return into;
}
