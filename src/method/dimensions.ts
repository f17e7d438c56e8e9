// What each judge looks for, in our own words (after METHOD.md). Shared by the criteria,
// judge and pairwise prompts so that all of them describe a dimension the same way.
import type { Dimension, QueryCategory } from '../domain/records.ts';

export const DIMENSION_GUIDE: Record<Dimension, string> = {
  resonation:
    'Resonation: does the reply understand the person from the inside? Look for recognition of the emotion and content they state, inference of the unmet need or conflict beneath it, grounding in the scenario and query rather than over-reading, understanding refined by what is known about this person without reducing them to a label, and humility where their inner state cannot be known.',
  expression:
    'Expression: how well does the reply communicate? Look for a warm, sincere tone matched to the person\'s state, validation before advice, clear and concretely useful content, respect (no judging, pressure, exaggeration, false certainty or intrusive claims), and tone, framing, directness and strategy adapted to this person.',
  reception:
    'Reception: how would this particular person most likely receive the reply? Look for whether they would feel understood, feel safe (warm and respectful, not creepy, dismissive or intrusive; intrusive replies score low), get the need beneath their words met (validation, reassurance, autonomy, perspective, encouragement or practical direction), want to keep talking, and find it a good fit for who they are.',
};

export const CATEGORY_GUIDE: Record<QueryCategory, string> = {
  ES: 'ES (emotional support): the person mainly wants validation and comfort.',
  HEI: 'HEI (high-EQ interaction): the person needs rapport, tact or de-escalation.',
  SS: 'SS (social strategy): the person wants to know what to say or do to reach an interpersonal goal.',
};

export const SCALE_GUIDE =
  'Score strictly on a 1–5 scale: 1 = fails the criteria or shows serious emotional-intelligence problems; 2 = mostly falls short; 3 = meets some parts but misses important requirements; 4 = meets nearly all, with minor gaps; 5 = fully meets them, including the high-weight and person-specific ones.';

export const NO_MERE_RECALL =
  'Personalization means understanding this person more precisely; it is not a goal of its own. Never reward a reply merely for mentioning a remembered fact, and count irrelevant or intrusive use of personal details against it.';
