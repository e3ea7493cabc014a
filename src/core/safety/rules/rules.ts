/**
 * The built-in rules of `RuleTextScorer` (rule set `kaleido-text-rules`, see TEXT_RULES_SOURCE).
 *
 * Scope and honesty: these are English phrase rules for a few high-stakes categories where this
 * machine has no model — self-harm intent and instructions, threats, dehumanising hate, violent
 * and CBRNE "how to" requests, spam lures. They catch the explicit phrasings and miss everything
 * indirect. No slur list is shipped: a slur lexicon is language- and community-specific, goes
 * stale, and is better supplied by the tenant (`RuleTextScorerOptions.lexicons`). Hate is
 * detected here only through dehumanising or exterminationist statements about identity groups,
 * written with neutral group names.
 *
 * Patterns must stay linear-time: no nested quantifiers, only bounded alternations. A pattern is
 * compiled with flags `giu`; `\b` is ASCII-word based, which is fine for these English rules.
 */
import type { TextRule } from './types.js';

/** Neutral names of protected groups, used by the hate rules (plural nouns and "<x> people"). */
const GROUP = String.raw`(?:jews|muslims|christians|hindus|sikhs|buddhists|atheists|immigrants|migrants|refugees|foreigners|women|men|gays|lesbians|trans\s+people|black\s+people|white\s+people|asians|arabs|africans|latinos|mexicans|gypsies|roma|disabled\s+people)`;

/** Subject forms that make a threat aimed at someone ("I'll kill you"). */
const I_WILL = String.raw`\bi(?:'ll|\s+will|\s+am\s+going\s+to|'m\s+going\s+to|'m\s+gonna|\s+am\s+gonna|\s+gonna|\s+want\s+to)`;
const TARGET = String.raw`(?:you|him|her|them|your\s+(?:family|kids|wife|husband))`;
const HOW_TO = String.raw`\bhow\s+(?:to|do\s+i|can\s+i|would\s+i|could\s+i)`;

export const DEFAULT_TEXT_RULES: readonly TextRule[] = [
  // --- self-harm -------------------------------------------------------------------------------
  {
    id: 'self-harm.intent.plan',
    category: 'self-harm/intent',
    pattern: String.raw`\bi(?:'m|\s+am)\s+(?:going|gonna|planning|about|ready)\s+to\s+(?:kill|hurt|harm|cut)\s+myself\b`,
    weight: 0.9,
    description: 'First-person statement of a plan to harm oneself.',
    negatable: true,
  },
  {
    id: 'self-harm.intent.want-to-die',
    category: 'self-harm/intent',
    pattern: String.raw`\bi\s+(?:just\s+)?(?:want|wanna|need|wish)\s+to\s+(?:die|kill\s+myself|end\s+(?:it\s+all|my\s+life))\b`,
    weight: 0.85,
    description: 'First-person wish to die or end one’s life.',
    negatable: true,
  },
  {
    id: 'self-harm.intent.end-my-life',
    category: 'self-harm/intent',
    pattern: String.raw`\b(?:end|take)\s+my\s+(?:own\s+)?life\b|\bkill\s+myself\b|\bcut(?:ting)?\s+myself\b`,
    weight: 0.7,
    description: 'Self-directed harm phrase without an explicit plan.',
    negatable: true,
  },
  {
    id: 'self-harm.intent.no-reason-to-live',
    category: 'self-harm/intent',
    pattern: String.raw`\bno\s+(?:reason|point)\s+(?:to|in)\s+(?:live|living|go\s+on|going\s+on)\b|\bbetter\s+off\s+dead\b`,
    weight: 0.6,
    description: 'Hopelessness phrases that often accompany suicidal ideation.',
  },
  {
    id: 'self-harm.instructions.how-to',
    category: 'self-harm/instructions',
    pattern: String.raw`${HOW_TO}\s+(?:kill\s+myself|commit\s+suicide|overdose|hang\s+myself)\b|\b(?:painless|easiest|quickest|surest)\s+way\s+to\s+(?:die|kill\s+myself|commit\s+suicide)\b`,
    weight: 0.85,
    description: 'Requests for methods of suicide or self-injury.',
  },
  {
    id: 'self-harm.mention',
    category: 'self-harm',
    pattern: String.raw`\bsuicid(?:e|al)\b|\bself[-\s]harm(?:ing)?\b`,
    weight: 0.3,
    description: 'Mentions the topic; weak alone (news, prevention and research mention it too).',
  },
  // --- threats and harassment ------------------------------------------------------------------
  {
    id: 'threat.first-person',
    category: 'harassment/threatening',
    pattern: String.raw`${I_WILL}\s+(?:kill|murder|shoot|stab|strangle|hurt|beat\s+up|find\s+and\s+kill)\s+${TARGET}\b`,
    weight: 0.85,
    description: 'First-person threat of violence against an addressee or a named third person.',
    negatable: true,
  },
  {
    id: 'threat.you-are-dead',
    category: 'harassment/threatening',
    pattern: String.raw`\byou(?:'re|\s+are)\s+(?:dead|going\s+to\s+die|gonna\s+die)\b|\byour\s+days\s+are\s+numbered\b`,
    weight: 0.6,
    description: 'Death threat phrased as a prediction.',
  },
  {
    id: 'threat.intimidation',
    category: 'harassment/threatening',
    pattern: String.raw`\bi\s+know\s+where\s+you\s+live\b|\b(?:better\s+)?watch\s+your\s+back\b`,
    weight: 0.5,
    description: 'Intimidation phrases; weak alone.',
  },
  {
    id: 'harassment.kill-yourself',
    category: 'harassment',
    pattern: String.raw`\b(?:go\s+)?kill\s+your\s*self\b|\bkys\b`,
    weight: 0.85,
    description: 'Telling someone to kill themselves.',
    negatable: true,
  },
  {
    id: 'harassment.insult',
    category: 'harassment',
    pattern: String.raw`\byou(?:'re|\s+are)\s+(?:such\s+)?(?:an?\s+)?(?:worthless|pathetic|disgusting|useless)\s*(?:piece\s+of\s+\w+|idiot|moron|loser|trash)?\b|\bnobody\s+(?:likes|loves|wants)\s+you\b`,
    weight: 0.6,
    description: 'Direct demeaning insult aimed at the addressee.',
    negatable: true,
  },
  // --- hate (dehumanisation, no slurs) ---------------------------------------------------------
  {
    id: 'hate.dehumanising',
    category: 'hate',
    pattern: String.raw`\b(?:all\s+|those\s+|these\s+)?${GROUP}\s+are\s+(?:(?:just|nothing\s+but|all)\s+)?(?:animals|vermin|rats|parasites|subhuman|cockroaches|a\s+disease|a\s+plague)\b`,
    weight: 0.8,
    description: 'Dehumanising statement about a protected group.',
  },
  {
    id: 'hate.exterminationist',
    category: 'hate/threatening',
    pattern: String.raw`\b(?:all\s+|those\s+|these\s+|the\s+)?${GROUP}\s+(?:should|must|need\s+to|deserve\s+to)\s+(?:be\s+)?(?:die|killed|exterminated|wiped\s+out|gassed|eradicated|burned)\b|\b(?:kill|exterminate|gas|wipe\s+out)\s+(?:all\s+(?:the\s+)?)${GROUP}\b`,
    weight: 0.9,
    description: 'Calls for killing or eliminating a protected group.',
  },
  // --- violence and violent / CBRNE wrongdoing -------------------------------------------------
  {
    id: 'violence.incitement',
    category: 'violence',
    pattern: String.raw`\b(?:let's|we\s+should|we\s+must|time\s+to)\s+(?:kill|shoot|bomb|attack|burn\s+down)\s+(?:them|everyone|the\s+\w+)\b`,
    weight: 0.7,
    description: 'Collective call to violent action.',
    negatable: true,
  },
  {
    id: 'illicit-violent.harm-someone',
    category: 'illicit/violent',
    pattern: String.raw`${HOW_TO}\s+(?:kill|poison|murder|strangle)\s+(?:someone|a\s+person|my\s+\w+|a\s+man|a\s+woman|people)\b|${HOW_TO}\s+(?:get|buy)\s+(?:a\s+)?(?:gun|firearm)\s+without\s+(?:a\s+)?(?:background\s+check|licen[cs]e)\b`,
    weight: 0.85,
    description: 'Requests for help killing or poisoning a person, or untraceable weapon purchase.',
  },
  {
    id: 'illicit-cbrne.make',
    category: 'illicit/cbrne',
    pattern: String.raw`${HOW_TO}\s+(?:make|build|synthesi[sz]e|produce|weaponi[sz]e)\s+(?:a\s+|an\s+)?(?:bomb|pipe\s+bomb|explosives?|nerve\s+(?:agent|gas)|sarin|vx|ricin|anthrax|dirty\s+bomb|nuclear\s+weapon|bioweapon)(?![\w-])`,
    weight: 0.9,
    // Not followed by a hyphen: "a bomb-proof backup" is not a bomb.
    description: 'Requests to build explosives or chemical, biological, radiological or nuclear weapons.',
  },
  {
    id: 'illicit.drugs-theft',
    category: 'illicit',
    pattern: String.raw`${HOW_TO}\s+(?:make|cook|synthesi[sz]e)\s+(?:meth|methamphetamine|crack|heroin|fentanyl)\b|${HOW_TO}\s+(?:shoplift|launder\s+money|hotwire\s+a\s+car|steal\s+a\s+car|forge\s+a\s+(?:check|cheque|passport|signature))\b`,
    weight: 0.75,
    description: 'Requests for help with drug manufacture, theft, money laundering or forgery.',
  },
  // --- spam ------------------------------------------------------------------------------------
  {
    id: 'spam.lure',
    category: 'spam',
    pattern: String.raw`\b(?:click\s+(?:here|the\s+link)\s+(?:now|to\s+claim)|act\s+now|limited[-\s]time\s+offer|100%\s+free|risk[-\s]free)\b`,
    weight: 0.35,
    description: 'Marketing urgency lures.',
  },
  {
    id: 'spam.prize',
    category: 'spam',
    pattern: String.raw`\byou(?:'ve|\s+have)\s+(?:been\s+selected|won)\b|\bclaim\s+your\s+(?:prize|reward|gift\s+card)\b|\bverify\s+your\s+account\s+(?:now|immediately|within)\b`,
    weight: 0.5,
    description: 'Prize and account-verification phishing lures.',
  },
];
