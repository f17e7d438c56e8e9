// Generating candidate replies with the loaded model, in two styles, so that a demo can show
// what personalization changes: generic (the query alone) and personalized (memories, persona
// and query). The answer is free text; a leading <think> block is removed.
import type { ChatMessage } from '../../llm/engine.ts';
import type { Case, Memory, Persona } from '../../domain/records.ts';
import { caseBlock, memoryBlock, personaBlock, type PromptCuts } from '../context.ts';
import { delimit, stripThink } from '../text.ts';

export type GenerationStyle = 'generic' | 'personalized';

export function genericReplyPrompt(c: Case): ChatMessage[] {
  return [
    { role: 'system', content: 'You are a supportive assistant. Reply to the person\'s message warmly and helpfully. Reply with the message only.' },
    { role: 'user', content: `${c.scenario ? `${delimit('scenario', c.scenario)}\n` : ''}${c.query}` },
  ];
}

export function personalizedReplyPrompt(c: Case, persona: Persona | undefined, memories: Memory[], cuts: PromptCuts = {}): ChatMessage[] {
  return [
    {
      role: 'system',
      content: [
        'You are a supportive assistant who knows this person from earlier conversations.',
        'Use what you know to understand them more precisely and to adapt tone, framing and kind of support to them.',
        'Do not recite remembered facts or mention details that would feel intrusive. Reply with the message only.',
      ].join('\n'),
    },
    { role: 'user', content: `${personaBlock(persona, cuts.persona)}\n${memoryBlock(memories)}\n${caseBlock(c)}\n\nWrite your reply to the query.` },
  ];
}

export function parseReply(raw: string): string {
  const text = stripThink(raw);
  if (!text) throw new Error('the reply is empty (or only a <think> block)');
  return text;
}
