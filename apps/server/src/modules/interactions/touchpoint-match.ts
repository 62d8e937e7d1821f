// Pure touchpoint classification: compiles a workspace's rules once and matches interactions
// against them in order (lowest position first, the first matching touchpoint wins).
import type { TouchpointRule } from '@rapport/contracts';
import type { TouchpointRow } from '../../platform/db/schema.js';

export type Classifiable = {
  kind: string;
  name: string;
  channel: string | null;
  path: string | null;
  properties: Record<string, unknown>;
};

export type Classification = { touchpointId: string; channel: string | null; stage: string | null; department: string | null };

type CompiledRule = {
  event: string | null;
  kind: string | null;
  path: RegExp | null;
  channel: string | null;
  property: { name: string[]; equals: string | number | boolean } | null;
};
type CompiledTouchpoint = { row: TouchpointRow; rules: CompiledRule[] };
export type Classifier = { classify(item: Classifiable): Classification | null; touchpoints: TouchpointRow[]; stages: string[] };

/** `*` matches within one path segment, `**` across segments; a trailing slash is ignored. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] ?? '';
    if (ch === '*') {
      if (glob[i + 1] === '*') {
        out += '.*';
        i++;
      } else out += '[^/]*';
    } else out += ch.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out.replace(/\/$/, '')}/?$`);
}

export function normalizePath(path: string): string {
  const noQuery = path.split(/[?#]/)[0] ?? '';
  return noQuery.length > 1 ? noQuery.replace(/\/+$/, '') : noQuery;
}

function propertyAt(props: Record<string, unknown>, path: string[]): unknown {
  let v: unknown = props;
  for (const p of path) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[p];
  }
  return v;
}

function matches(rule: CompiledRule, item: Classifiable): boolean {
  if (rule.kind !== null && rule.kind !== item.kind) return false;
  if (rule.event !== null && rule.event !== item.name.toLowerCase()) return false;
  if (rule.channel !== null && rule.channel !== item.channel) return false;
  if (rule.path !== null && (item.path === null || !rule.path.test(normalizePath(item.path)))) return false;
  if (rule.property !== null && propertyAt(item.properties, rule.property.name) !== rule.property.equals) return false;
  return true;
}

export function parseRules(text: string): TouchpointRule[] {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v.filter((r): r is TouchpointRule => r !== null && typeof r === 'object') : [];
  } catch {
    return [];
  }
}

export function compileClassifier(rows: TouchpointRow[], stages: string[] = []): Classifier {
  const sorted = [...rows].sort((a, b) => a.position - b.position || a.key.localeCompare(b.key));
  const compiled: CompiledTouchpoint[] = sorted.map((row) => ({
    row,
    rules: parseRules(row.rules).map((r) => ({
      event: r.event ? r.event.toLowerCase() : null,
      kind: r.kind ?? null,
      path: r.path ? globToRegExp(r.path) : null,
      channel: r.channel ?? null,
      property: r.property ? { name: r.property.name.split('.'), equals: r.property.equals } : null,
    })),
  }));
  return {
    touchpoints: sorted,
    stages,
    classify(item) {
      for (const tp of compiled) {
        for (const rule of tp.rules) {
          if (matches(rule, item)) {
            return { touchpointId: tp.row.id, channel: item.channel ?? tp.row.channel, stage: tp.row.stage, department: tp.row.department };
          }
        }
      }
      return null;
    },
  };
}
