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
  path: PathGlob | null;
  channel: string | null;
  property: { name: string[]; equals: string | number | boolean } | null;
};
type CompiledTouchpoint = { row: TouchpointRow; rules: CompiledRule[] };
export type Classifier = { classify(item: Classifiable): Classification | null; touchpoints: TouchpointRow[]; stages: string[] };

/** A compiled page-path glob: `*` matches within one path segment, `**` across segments. */
export type PathGlob = { test(path: string, budget?: MatchBudget): boolean };
/** Steps of glob matching one event may spend; when spent, its remaining path rules do not match. */
export type MatchBudget = { left: number };

/** Bounds on what a workspace may ask the matcher to do (checked when touchpoints are saved). */
export const GLOB_LIMITS = {
  /** Longest path glob, in characters. */
  patternLength: 256,
  /** Wildcards (`*` or `**`) in one glob. */
  wildcards: 16,
  /** Characters of a page path that path rules look at. */
  pathLength: 2048,
  /** Matcher steps (path characters × live pattern positions) one event may cost. */
  stepsPerEvent: 200_000,
} as const;

// Tenant-written globs run on the shared event loop for every page view, so they are never turned
// into backtracking regular expressions (`/*a*a*a…!` froze the server for seconds). The matcher
// runs the glob's automaton over the path one character at a time, keeping the list of pattern
// positions still alive: at most (path length × pattern length) steps, whatever the pattern, and
// each event has a step budget on top.
const LIT = 0;
const STAR = 1;
const GLOBSTAR = 2;
const SLASH = 47;

/** Compiles a glob; a trailing slash is ignored, like a trailing slash of the path. */
export function compileGlob(glob: string): PathGlob {
  const source = glob === '/' ? '' : glob.endsWith('/') ? glob.slice(0, -1) : glob;
  const kinds: number[] = [];
  const chars: number[] = [];
  for (let i = 0; i < source.length; i++) {
    if (source[i] === '*') {
      let kind = STAR;
      while (source[i + 1] === '*') {
        kind = GLOBSTAR;
        i++;
      }
      // Adjacent wildcards match what the widest of them matches: keep one.
      const prev = kinds.at(-1);
      if (prev === STAR || prev === GLOBSTAR) {
        kinds[kinds.length - 1] = prev === GLOBSTAR ? GLOBSTAR : kind;
        continue;
      }
      kinds.push(kind);
      chars.push(0);
    } else {
      kinds.push(LIT);
      chars.push(source.charCodeAt(i));
    }
  }
  const m = kinds.length;
  const seen = new Int32Array(m + 1).fill(-1);

  function run(path: string, end: number, budget: MatchBudget): boolean {
    let cur: number[] = [];
    let next: number[] = [];
    let stamp = 0;
    // Adds state s (and, through wildcards that may match nothing, the states after it) once per step.
    const add = (list: number[], s: number) => {
      while (seen[s] !== stamp) {
        seen[s] = stamp;
        list.push(s);
        if (s === m || kinds[s] === LIT) return;
        s++;
      }
    };
    seen.fill(-1);
    add(cur, 0);
    for (let i = 0; i < end; i++) {
      budget.left -= cur.length;
      if (budget.left < 0) return false;
      const c = path.charCodeAt(i);
      stamp++;
      next.length = 0;
      for (const s of cur) {
        if (s === m) continue;
        const k = kinds[s];
        if (k === LIT) {
          if (chars[s] === c) add(next, s + 1);
        } else if (k === GLOBSTAR || c !== SLASH) add(next, s);
      }
      if (next.length === 0) return false;
      [cur, next] = [next, cur];
    }
    return cur.includes(m);
  }
  return {
    test(path, budget = { left: GLOB_LIMITS.stepsPerEvent }) {
      const p = path.length > GLOB_LIMITS.pathLength ? path.slice(0, GLOB_LIMITS.pathLength) : path;
      return run(p, p.length, budget) || (p.endsWith('/') && run(p, p.length - 1, budget));
    },
  };
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

function matches(rule: CompiledRule, item: Classifiable, path: string | null, budget: MatchBudget): boolean {
  if (rule.kind !== null && rule.kind !== item.kind) return false;
  if (rule.event !== null && rule.event !== item.name.toLowerCase()) return false;
  if (rule.channel !== null && rule.channel !== item.channel) return false;
  if (rule.path !== null && (path === null || !rule.path.test(path, budget))) return false;
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
      path: r.path ? compileGlob(r.path) : null,
      channel: r.channel ?? null,
      property: r.property ? { name: r.property.name.split('.'), equals: r.property.equals } : null,
    })),
  }));
  return {
    touchpoints: sorted,
    stages,
    classify(item) {
      const path = item.path === null ? null : normalizePath(item.path);
      const budget: MatchBudget = { left: GLOB_LIMITS.stepsPerEvent };
      for (const tp of compiled) {
        for (const rule of tp.rules) {
          if (matches(rule, item, path, budget)) {
            return { touchpointId: tp.row.id, channel: item.channel ?? tp.row.channel, stage: tp.row.stage, department: tp.row.department };
          }
        }
      }
      return null;
    },
  };
}
