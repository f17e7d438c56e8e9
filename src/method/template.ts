// A judge prompt supplied by the user as a file (`attune evaluate --judge-template FILE`, an
// upload on the Batch screen), so a researcher can run the exact wording of another evaluator
// (the authors' eval.py template, their own lab's). Placeholders are named in braces, as in
// Python's str.format: {dimension} {criteria} {memories} {scenario} {persona} {query}
// {response}; "{{" and "}}" stand for literal braces. Every placeholder must appear, and no
// other: a template that would silently leave a field out is refused.
import type { ChatMessage } from '../llm/engine.ts';
import type { JudgeTemplateRef } from '../domain/settings.ts';
import { sha256 } from '../lib/hash.ts';

export const TEMPLATE_FIELDS = ['dimension', 'criteria', 'memories', 'scenario', 'persona', 'query', 'response'] as const;
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];
export type JudgeTemplate = JudgeTemplateRef;

export class TemplateError extends Error {
  constructor(name: string, problem: string) {
    super(`judge template ${name}: ${problem}`);
    this.name = 'TemplateError';
  }
}

// A placeholder: one "{" not preceded by another, a name, "}". Doubled braces are literals.
const PLACEHOLDER = /(?<!\{)\{([^{}]*)\}(?!\})/g;

function placeholders(text: string): string[] {
  return [...text.replace(/\{\{|\}\}/g, '  ').matchAll(PLACEHOLDER)].map((m) => m[1]);
}

export async function parseJudgeTemplate(name: string, text: string): Promise<JudgeTemplate> {
  const used = placeholders(text);
  const unknown = [...new Set(used.filter((p) => !(TEMPLATE_FIELDS as readonly string[]).includes(p)))];
  const missing = TEMPLATE_FIELDS.filter((f) => !used.includes(f));
  const problems: string[] = [];
  if (unknown.length) problems.push(`unknown placeholder${unknown.length > 1 ? 's' : ''} ${unknown.map((p) => `{${p}}`).join(', ')} (write literal braces as {{ and }})`);
  if (missing.length) problems.push(`missing placeholder${missing.length > 1 ? 's' : ''} ${missing.map((p) => `{${p}}`).join(', ')}`);
  if (problems.length) throw new TemplateError(name, `${problems.join('; ')}. The placeholders are ${TEMPLATE_FIELDS.map((f) => `{${f}}`).join(' ')}.`);
  return { name, sha256: await sha256(text), text };
}

/** The filled template, sent as one user message (as eval.py sends its prompt). */
export function fillJudgeTemplate(template: JudgeTemplate, fields: Record<TemplateField, string>): ChatMessage[] {
  const content = template.text.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (whole, field: string | undefined) => {
    if (whole === '{{') return '{';
    if (whole === '}}') return '}';
    return fields[field as TemplateField];
  });
  return [{ role: 'user', content }];
}
