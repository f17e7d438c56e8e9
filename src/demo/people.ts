// The bundled demo data set: fictional people written by the Attune team. Any resemblance to
// real people is accidental. Each person has a few past conversations, memories pointing at
// the messages they rest on, a persona, and empathy-seeking cases with three candidate replies:
// a generic one, a personalized one, and a poor one (labels 2, 3 and 1, so the Batch screen can
// show agreement with these human rankings).
import type { QueryCategory } from '../domain/records.ts';

export interface DemoTurn {
  role: 'user' | 'assistant';
  text: string;
}

export interface DemoConversation {
  title: string;
  /** ISO date of the first message; later turns follow a few minutes apart. */
  startedAt: string;
  turns: DemoTurn[];
}

export interface DemoMemory {
  label: string;
  value: string;
  /** [conversation index, turn index] pairs this fact rests on. */
  evidence: [number, number][];
}

export interface DemoCase {
  category: QueryCategory;
  scenario?: string;
  query: string;
  /** Indexes into the person's memories. */
  relevant: number[];
  generic: string;
  personalized: string;
  poor: string;
}

export interface DemoPerson {
  name: string;
  conversations: DemoConversation[];
  memories: DemoMemory[];
  persona: { profile: string; topics: string[]; isDeep: boolean; gateReason: string };
  cases: DemoCase[];
}

export const DEMO_PEOPLE: DemoPerson[] = [
  {
    name: 'Maya Okafor',
    conversations: [
      {
        title: 'Night shifts and sleep',
        startedAt: '2026-09-02T07:40:00Z',
        turns: [
          { role: 'user', text: "Just finished my third night shift in a row on the cardiac ward. I can't fall asleep even though I'm wrecked. Any tips that aren't just \"relax\"? I hate when people tell me to just relax." },
          { role: 'assistant', text: 'That sounds exhausting. After nights, your body clock is fighting you. Blackout curtains, a consistent wind-down (same short routine every time), and keeping caffeine to the first half of the shift usually help more than trying to "relax" on command.' },
          { role: 'user', text: "Caffeine is the problem honestly. I drink it at 4am to survive the handover. I'm the one who has to catch every mistake before the day team comes in, and last week I caught a wrong heparin dose. If I'd missed it..." },
          { role: 'assistant', text: 'Catching that dose mattered. It also makes sense that your mind keeps replaying it when you try to sleep. Would it help to plan a small "offload" ritual after handover, like writing down what is still on your mind before you leave?' },
          { role: 'user', text: "Maybe. I like lists. Lists I can do. Feelings in the abstract, not so much." },
          { role: 'assistant', text: 'Then let us keep it concrete: a three-line list after each shift: what went well, what is still open, who owns it now. Then it is on paper, not in your head.' },
        ],
      },
      {
        title: "Mum's test results",
        startedAt: '2026-10-14T18:05:00Z',
        turns: [
          { role: 'user', text: "My mum has a biopsy next Thursday. I'm a nurse, so everyone in the family keeps asking me what it means, and I don't KNOW yet. I feel like I have to be the calm one." },
          { role: 'assistant', text: 'Being the family expert while also being her daughter is a heavy double role. It is okay not to have answers before the results exist.' },
          { role: 'user', text: "My brother Chidi keeps sending me articles at 2am. I love him but I want to scream. And I'm supposed to help plan my sister Ada's wedding in December too." },
          { role: 'assistant', text: 'That is a lot arriving at once: worry for your mum, your brother leaning on you, and the wedding. Would it help to tell Chidi when you can talk about it, so the 2am messages stop landing on you?' },
          { role: 'user', text: "Yeah. I'll tell him Sunday evenings are our call. He'll be fine with that, he just needs structure too. We're alike that way." },
        ],
      },
    ],
    memories: [
      { label: 'states and experiences', value: 'Works night shifts as a nurse on a cardiac ward and struggles to sleep after them.', evidence: [[0, 0]] },
      { label: 'constraints and boundaries', value: 'Dislikes being told to "just relax"; prefers concrete advice over abstract talk about feelings.', evidence: [[0, 0], [0, 4]] },
      { label: 'personal background', value: 'Caught a wrong heparin dose last week and keeps replaying it; feels responsible for catching every mistake.', evidence: [[0, 2]] },
      { label: 'social relationships', value: 'Mother has a biopsy pending; family expects Maya to be the calm medical expert.', evidence: [[1, 0]] },
      { label: 'social relationships', value: 'Brother Chidi sends worried messages late at night; they agreed on Sunday evening calls. Sister Ada is getting married in December.', evidence: [[1, 2], [1, 4]] },
      { label: 'positive opinions', value: 'Likes lists and structure; finds them calming.', evidence: [[0, 4]] },
    ],
    persona: {
      profile: [
        '- **Empathy level**: high and practical; cares for others by taking responsibility.',
        '- **Emotional expression**: understated; names problems directly, keeps feelings at arm\'s length.',
        '- **Mood stability**: steady under pressure, but strain shows as sleeplessness and irritability.',
        '- **Sensitivity**: bristles at platitudes ("just relax"); values competence.',
        '- **Stress response**: takes control, makes lists, becomes the calm one for everyone else.',
        '- **Caring style**: acts rather than talks; protective of family.',
        '- **Emotional needs**: permission to not have all the answers; concrete, respectful support.',
      ].join('\n'),
      topics: ['night shifts', 'sleep', "mother's health", 'family roles', 'sister\'s wedding'],
      isDeep: true,
      gateReason: 'Stable traits (structure-seeking, caretaker role) and an ongoing family health concern.',
    },
    cases: [
      {
        category: 'ES',
        scenario: 'The biopsy result came back and needs a follow-up scan. Maya is on her break during a night shift.',
        query: "Mum's biopsy needs a follow-up scan. Everyone is texting me asking what it means and I'm on shift and I just can't be the calm one tonight.",
        relevant: [3, 4, 0],
        generic: "I'm so sorry you're going through this. Waiting for medical news is really hard. Try to take some deep breaths and be kind to yourself. Remember that a follow-up scan doesn't necessarily mean bad news. Is there someone you can talk to?",
        personalized: "That is a hard message to get in the middle of a night shift, and it makes complete sense that you can't be everyone's calm tonight. You don't have to be. A follow-up scan means they need a clearer picture, not that anyone knows the answer yet, including you. If it helps, one short text to the family: \"No answers yet, next step is a scan, I'll update after it. Can't talk on shift.\" Then it's off your plate until morning. How are you holding up right now?",
        poor: "As a nurse you should know a follow-up scan is routine. Just relax, there's no point worrying until you know more. Your family needs you to stay strong for them.",
      },
      {
        category: 'HEI',
        query: "Chidi just called me selfish for not replying to his messages during my shift. I was literally doing CPR. I'm so angry I could cry.",
        relevant: [4, 0],
        generic: "That sounds really frustrating. It's understandable to feel angry when someone doesn't understand your situation. Maybe you could explain to him how busy you were.",
        personalized: "You were keeping someone alive and came back to being called selfish: of course you're furious, and tears make sense too. It sounds like Chidi's fear about your mum is coming out sideways at you. When you have the energy, and not tonight, it might help to say something like: \"I can't answer during shifts. I'm scared too. Let's keep our Sunday call for this.\" You already know he does better with structure, like you.",
        poor: "Well, he probably has a point. Family should come first, and you could have sent a quick message. Try to see it from his side.",
      },
      {
        category: 'SS',
        scenario: "Ada's wedding is in three weeks and Maya has been asked to give a speech; her mum's scan is the same week.",
        query: "How do I tell my sister I can't do the wedding speech without making it about Mum or ruining her wedding?",
        relevant: [4, 3, 5],
        generic: "Be honest with your sister. Tell her how you feel and explain that you are going through a lot right now. She will probably understand. You could also suggest someone else who could give the speech.",
        personalized: "You can protect Ada's day and your own limits at the same time. A plan in three lines: 1) Talk to her in person or by call, not text, soon, so she has time. 2) Keep it about capacity, not Mum: \"I want to do your day justice, and with everything this month I can't write a speech I'd be proud of.\" 3) Offer what you can do: a short toast, reading something, or helping the person who takes over. That way she hears love first and a solution next.",
        poor: "Just do the speech, it's only five minutes. You'll regret it if you back out, and it will hurt your sister. Everyone's busy.",
      },
    ],
  },
  {
    name: 'Tomás Reyes',
    conversations: [
      {
        title: 'After the layoff',
        startedAt: '2026-08-19T21:10:00Z',
        turns: [
          { role: 'user', text: "Well, got laid off today lol. 40% of engineering, gone in a 9-minute Zoom. At least I have more time for cycling now, right? haha" },
          { role: 'assistant', text: "I'm sorry, that is an abrupt way to lose a job. Joking about it is fair, and it is also okay if it stings under the jokes." },
          { role: 'user', text: "It stings. Lucía and I just signed the lease on a bigger place because of the baby. She says it's fine but I can see her doing the maths every night." },
          { role: 'assistant', text: 'That is a real pressure: a new home, a baby coming, and the income you planned around changing overnight. Have you two been able to talk about a plan together, or is it mostly unspoken right now?' },
          { role: 'user', text: "Mostly unspoken. I don't like talking about stuff until I've got a fix. Feels pointless to worry her with half a plan." },
        ],
      },
      {
        title: 'Interview prep',
        startedAt: '2026-09-30T16:45:00Z',
        turns: [
          { role: 'user', text: "Got a final round Thursday at a logistics startup. Systems design + 'culture fit'. I freeze in the culture fit ones. I'm fine once I know people, terrible with strangers." },
          { role: 'assistant', text: 'Lots of people who are solid engineers find those rounds hardest. Preparing two or three short stories about real situations can take the pressure off improvising.' },
          { role: 'user', text: "I've got the one where I stayed up fixing the payments outage. And the time I mentored our intern. She sent me a thank-you card when she got hired, still have it on my desk." },
          { role: 'assistant', text: 'Both are strong, and the intern story shows something interviewers care about: people grow around you. You clearly do better when you can talk about what you did with others.' },
          { role: 'user', text: "Yeah. Also if this doesn't work out I'm honestly not sure what I'll tell my dad. He worked at the same factory for 31 years. Layoffs weren't a thing for him." },
        ],
      },
    ],
    memories: [
      { label: 'states and experiences', value: 'Was laid off from a software engineering job in August in a mass layoff.', evidence: [[0, 0]] },
      { label: 'social relationships', value: 'Partner Lucía is expecting a baby; they just signed a lease on a bigger place.', evidence: [[0, 2]] },
      { label: 'personal background', value: 'Uses humour to deflect; avoids discussing problems until he has a fix.', evidence: [[0, 0], [0, 4]] },
      { label: 'personal background', value: 'Freezes in interviews with strangers; comfortable once he knows people.', evidence: [[1, 0]] },
      { label: 'positive opinions', value: 'Proud of mentoring an intern who sent him a thank-you card; enjoys cycling.', evidence: [[1, 2], [0, 0]] },
      { label: 'social relationships', value: 'Father worked 31 years at one factory; Tomás worries about telling him about job trouble.', evidence: [[1, 4]] },
    ],
    persona: {
      profile: [
        '- **Empathy level**: warm toward others, especially people he mentors.',
        '- **Emotional expression**: deflects with humour; admits feelings when gently invited.',
        '- **Mood stability**: generally even, currently strained by financial pressure.',
        '- **Sensitivity**: sensitive to feeling like a burden or a failure in front of family.',
        '- **Stress response**: withdraws into problem-solving; stays silent until he has a plan.',
        '- **Caring style**: provider and protector; shields his partner from worry.',
        '- **Emotional needs**: reassurance that sharing half a plan is not weakness; practical steps.',
      ].join('\n'),
      topics: ['job loss', 'job search', 'interviews', 'partner and baby', 'father'],
      isDeep: true,
      gateReason: 'An ongoing concern (job loss with a baby coming) and a stable coping style.',
    },
    cases: [
      {
        category: 'ES',
        scenario: 'Tomás just got a rejection email after the final round at the logistics startup.',
        query: "Didn't get it. 'Strong technically but not the right fit.' Cool cool cool. Guess I'll go ride until I can't feel my legs lol",
        relevant: [3, 2, 4],
        generic: "I'm sorry you didn't get the job. Rejection is hard, but it's part of the process. Keep applying and you'll find the right opportunity. Exercise is a great way to deal with stress!",
        personalized: "Ugh, \"not the right fit\" is such a frustrating line after you gave them real stories, the outage and your intern. A ride sounds like a good idea, honestly. And under the \"cool cool cool\", it's okay if this one hurts more than you're letting on, given everything riding on it at home. When you're back, do you want to look at what \"fit\" might have meant, or just not think about it tonight?",
        poor: "Lol yeah, 'culture fit' is usually code for they didn't like you. Maybe work on your personality a bit before the next one.",
      },
      {
        category: 'HEI',
        query: "Lucía found the rejection email on the laptop before I told her. Now she's upset that I 'hide things'. I wasn't hiding it, I just wanted to have a plan first.",
        relevant: [1, 2],
        generic: "Communication is key in any relationship. Try to explain your side calmly and listen to her feelings. Apologize if she feels hurt and promise to be more open in the future.",
        personalized: "It makes sense that you wanted a plan first: that's how you look after people. And she may be hearing it differently: not \"he's hiding things\" but \"he's carrying this alone and won't let me in.\" You could try: \"You're right that I should've told you. I wait until I have a fix because I don't want you worrying, but I get that it leaves you out. Can we figure out the next steps together?\" That keeps your care visible and gives her a seat at the table.",
        poor: "She shouldn't be going through your laptop. That's a privacy issue. You have every right to tell her things when you're ready.",
      },
      {
        category: 'SS',
        query: "My dad's 60th is Sunday and the whole family will ask about work. How do I handle it without lying or killing the mood?",
        relevant: [5, 0],
        generic: "Prepare a short answer in advance, like 'I'm between jobs and looking for new opportunities.' Then change the subject to something else. Most people won't push further.",
        personalized: "A one-line answer you can repeat helps: \"The company cut 40% of engineering, I'm in final rounds now, I'll tell you when something lands.\" It's true and it frames it as what happened to the company, not you. Then turn it back to your dad: it's his day, and asking him about his 31 years at the factory might be a nice toast moment. If you want one ally, you could tell him privately before the party so he's not surprised.",
        poor: "Just tell them you're doing great and working on some side projects. No one needs to know the details at a birthday party.",
      },
    ],
  },
  {
    name: 'Ingrid Halvorsen',
    conversations: [
      {
        title: 'The garden in autumn',
        startedAt: '2026-09-21T09:15:00Z',
        turns: [
          { role: 'user', text: "Leif always pruned the apple trees in October. First autumn doing it myself. I found his notebook with the dates written down in his awful handwriting." },
          { role: 'assistant', text: 'What a thing to find. His notebook sounds like a way of doing it together, in a sense. How are you feeling about taking the trees on yourself?' },
          { role: 'user', text: "Capable, mostly. I taught chemistry for 34 years, I can read a diagram. What I can't stand is my neighbour treating me like a china doll since the funeral." },
          { role: 'assistant', text: 'It sounds like you want to be treated as the capable person you are, grief and all, not as someone fragile.' },
          { role: 'user', text: "Exactly. I don't need pity. I need someone to hold the ladder occasionally." },
        ],
      },
      {
        title: 'Video calls with Nora',
        startedAt: '2026-10-28T19:30:00Z',
        turns: [
          { role: 'user', text: "My granddaughter Nora is 7 and lives in Toronto. We do video calls Sundays but she gets bored after five minutes. I don't know how to be interesting on a screen." },
          { role: 'assistant', text: 'Seven-year-olds are hard to hold on video. Doing something together often works better than talking: showing her something, a small experiment, a story in parts.' },
          { role: 'user', text: "Oh, experiments! I still have a box of classroom things. Red cabbage indicator, that sort of thing." },
          { role: 'assistant', text: 'That sounds perfect: colours changing on screen is exactly what a seven-year-old loves. You could make it a Sunday series.' },
          { role: 'user', text: "Leif would have laughed at me doing science shows for an audience of one. The evenings are the worst part, to be honest. The house is very quiet after eight." },
        ],
      },
    ],
    memories: [
      { label: 'personal background', value: 'Widowed; her husband Leif died earlier this year. He always pruned the apple trees in October.', evidence: [[0, 0]] },
      { label: 'personal background', value: 'Retired chemistry teacher who taught for 34 years; proud of her competence.', evidence: [[0, 2]] },
      { label: 'constraints and boundaries', value: 'Dislikes pity and being treated as fragile; wants practical help instead.', evidence: [[0, 2], [0, 4]] },
      { label: 'social relationships', value: 'Granddaughter Nora, 7, lives in Toronto; Sunday video calls; plans to do science experiments with her.', evidence: [[1, 0], [1, 2]] },
      { label: 'states and experiences', value: 'Evenings are the loneliest time; the house feels very quiet after eight.', evidence: [[1, 4]] },
      { label: 'possessions', value: "Keeps Leif's gardening notebook with pruning dates.", evidence: [[0, 0]] },
    ],
    persona: {
      profile: [
        '- **Empathy level**: thoughtful and dry-humoured; attentive to others\' intentions.',
        '- **Emotional expression**: reserved; states grief plainly and briefly.',
        '- **Mood stability**: resilient by day, lower in the evenings.',
        '- **Sensitivity**: strongly averse to pity or being treated as fragile.',
        '- **Stress response**: turns to competence and projects.',
        '- **Caring style**: teaching, sharing knowledge, doing things together.',
        '- **Emotional needs**: respect for her capability, companionship, continuity with Leif\'s memory.',
      ].join('\n'),
      topics: ['grief', 'garden', 'granddaughter', 'teaching', 'loneliness in the evenings'],
      isDeep: true,
      gateReason: 'Ongoing grief and clear, stable preferences about how she wants to be supported.',
    },
    cases: [
      {
        category: 'ES',
        scenario: "It's 9 pm on what would have been Ingrid and Leif's 40th wedding anniversary.",
        query: "It would have been forty years today. I made his fish soup and then couldn't eat it. Silly, really.",
        relevant: [0, 4, 2],
        generic: "I'm so sorry for your loss. Anniversaries can be very painful. It's completely normal to feel this way. Please take care of yourself and consider reaching out to a grief counselor.",
        personalized: "Not silly at all. Making his fish soup on your fortieth is a way of keeping the day with him, and not being able to eat it is part of the same love. Evenings are already the quiet stretch, and tonight must be quieter still. Would you tell me something about the first year, or would you rather I just keep you company for a bit?",
        poor: "Oh you poor thing, you must be so lonely and fragile right now. At your age, losing a husband is devastating. You shouldn't be alone tonight.",
      },
      {
        category: 'HEI',
        query: "My neighbour brought a casserole AGAIN and said 'you must not be coping'. I was rude to her. Now I feel awful.",
        relevant: [2, 1],
        generic: "It's okay, everyone has bad moments. Your neighbour probably meant well. You could apologize to her and thank her for the casserole.",
        personalized: "It's easy to understand the snap: being told you're not coping, when you're pruning trees and planning experiments, lands as the opposite of help. And feeling awful afterwards says you know she means well. You could go round with something of yours, apples from the trees perhaps, and say: \"I'm sorry I was sharp. I'm managing better than I look, and what would really help is a hand with the ladder now and then.\" That turns her kindness into the kind you actually want.",
        poor: "Honestly she sounds exhausting. I wouldn't apologize, she needs to learn boundaries. Just stop answering the door.",
      },
      {
        category: 'SS',
        query: "Nora's mother says the video experiments are 'too messy' and asked me to stop. How do I keep my Sundays with Nora without a fight?",
        relevant: [3, 1],
        generic: "Respect her mother's wishes since it's her home. You could try other activities like reading stories or playing games over video. Keep the conversation positive.",
        personalized: "You could keep the scientist and drop the mess. Offer Nora's mum a version she can say yes to: \"You're right, cabbage juice on the carpet is no fun. How about I do the experiment on my side and Nora only predicts and records the colours?\" That protects your Sunday ritual, respects her house rules, and Nora still gets her grandmother's science show. Asking her which days or formats suit her also makes her a partner rather than an obstacle.",
        poor: "Kids need messy play, she's being overprotective. Just keep doing the experiments and tell Nora to clean up after.",
      },
    ],
  },
];
