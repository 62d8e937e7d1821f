// Message templates of rule actions: Liquid (liquidjs) kept logic-less — text and `{{ output |
// filters }}` only, no tags (no loops, no includes, no assigns), within parse, render and memory
// limits — so what a tenant writes renders in time linear in its length. Variables come from
// customer, event, conversation and workspace. A variable that is missing fails the preview on
// save and, at send time, holds the message back (the firing fails with the variable's name):
// a customer never receives "Sorry , your order". `{{ customer.name | default: "there" }}` is
// how a template says what to write instead.
import liquid from 'liquidjs';
import type { ConditionError } from './conditions.js';
import { read } from './conditions.js';

const { Liquid, Output, Tag } = liquid;
type Template = ReturnType<InstanceType<typeof Liquid>['parse']>[number];

const ROOTS = new Set(['customer', 'event', 'conversation', 'workspace']);

const engine = new Liquid({
  ownPropertyOnly: true,
  strictFilters: true,
  parseLimit: 20_000,
  renderLimit: 100,
  memoryLimit: 1_000_000,
  relativeReference: false,
  templates: {},
  cache: 500,
});

export class TemplateError extends Error {}

type Parsed = { templates: Template[]; outputs: Array<{ vars: string[]; hasDefault: boolean }> };

function parse(source: string): Parsed {
  const templates = engine.parse(source);
  const outputs: Parsed['outputs'] = [];
  for (const t of templates) {
    if (t instanceof Tag)
      throw new TemplateError(`tags such as {% ${(t as { name?: string }).name ?? ''} %} are not allowed: use {{ variable | filter }} only`);
    if (t instanceof Output) {
      const filters = ((t as unknown as { value: { filters: Array<{ name: string }> } }).value.filters ?? []).map((f) => f.name);
      outputs.push({ vars: engine.globalFullVariablesSync([t]), hasDefault: filters.includes('default') });
    }
  }
  return { templates, outputs };
}

/** Problems with a template as written (syntax, tags, unknown roots), for validation on save. */
export function templateErrors(source: string, path: string): ConditionError[] {
  try {
    const { outputs } = parse(source);
    const errors: ConditionError[] = [];
    for (const o of outputs)
      for (const v of o.vars) {
        const root = v.split(/[.[]/)[0] ?? '';
        if (!ROOTS.has(root)) errors.push({ path, message: `unknown variable ${v}: use customer, event, conversation or workspace` });
      }
    return errors;
  } catch (err) {
    return [{ path, message: err instanceof Error ? err.message.split('\n')[0]!.slice(0, 300) : 'invalid template' }];
  }
}

const missing = (v: unknown) => v === undefined || v === null || v === '';

/** Renders a template; throws TemplateError naming a variable that has no value (and no default). */
export async function render(source: string, scope: Record<string, unknown>): Promise<string> {
  let parsed: Parsed;
  try {
    parsed = parse(source);
  } catch (err) {
    throw new TemplateError(err instanceof Error ? err.message.split('\n')[0]! : 'invalid template');
  }
  for (const o of parsed.outputs) {
    if (o.hasDefault) continue;
    for (const v of o.vars) if (missing(read(scope, v.replace(/\[(\d+)\]/g, '.$1')))) throw new TemplateError(`no value for ${v}`);
  }
  try {
    return String(await engine.render(parsed.templates, scope));
  } catch (err) {
    throw new TemplateError(err instanceof Error ? err.message.split('\n')[0]! : 'the template did not render');
  }
}
