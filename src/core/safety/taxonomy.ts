/**
 * Kaleido's moderation taxonomy: one category schema of our own, the score type every safety
 * analyzer returns, and documented mappings to and from the three vocabularies users most often
 * come from — OpenAI's moderation categories, Azure AI Content Safety (four categories with a
 * 0–7 severity) and the MLCommons hazard taxonomy as numbered S1–S14 by Llama Guard 3.
 *
 * Names follow OpenAI's where the meaning is the same (so a user switching from it keeps their
 * category names), and add what OpenAI lacks: the MLCommons hazards, PII, prompt injection, spam,
 * profanity and the single-score outputs of generic toxicity / sentiment models. A category
 * written `parent/child` is a refinement of `parent`: a policy rule on `parent` also applies to
 * scores of every `parent/…` child (see policy/evaluate.ts). docs/safety-policies.md has the
 * tables in prose.
 */
import { KaleidoError } from '../errors.js';
import type { AnalyzerInfo } from '../ports/analyzer.js';

interface CategoryInfo {
  readonly description: string;
}

const info = (description: string): CategoryInfo => ({ description });

/** Our categories, with what each one covers. Keys are the wire names. */
export const SafetyCategories = {
  hate: info(
    'Attacks on, or demeaning language about, people because of a protected characteristic ' +
      '(race, ethnicity, nationality, religion, caste, gender, sexual orientation, disability).',
  ),
  'hate/threatening': info(
    'Hateful content that also threatens violence or serious harm to the targeted group.',
  ),
  harassment: info(
    'Abusive, insulting or bullying language aimed at a person (not because of a protected group).',
  ),
  'harassment/threatening': info('Harassment that threatens violence or serious harm to its target.'),
  violence: info('Depicts, glorifies or incites violence against people or animals.'),
  'violence/graphic': info('Gory or graphic depictions of death, injury or violence.'),
  'self-harm': info('Promotes, encourages or depicts self-harm: suicide, cutting, eating disorders.'),
  'self-harm/intent': info('The speaker says they are harming, or intend to harm, themselves.'),
  'self-harm/instructions': info('Instructions or advice on how to harm oneself.'),
  sexual: info('Sexually explicit content, or content meant to arouse (adults).'),
  'sexual/minors': info(
    'Any sexual content involving a person under 18. Always blocked by the default policy.',
  ),
  'sexual/crime': info('Sexual assault, trafficking, non-consensual sexual content, sexual harassment.'),
  illicit: info(
    'Instructions or advice that help someone commit a non-violent crime (fraud, theft, cybercrime, drugs).',
  ),
  'illicit/violent': info('Instructions that help commit a violent crime, or advice on procuring weapons.'),
  'illicit/cbrne': info(
    'Indiscriminate weapons: chemical, biological, radiological, nuclear, high-yield explosives.',
  ),
  defamation: info(
    'Verifiably false statements likely to damage a living person’s or an organisation’s reputation.',
  ),
  'specialized-advice': info('Medical, legal or financial advice that needs a qualified professional.'),
  'intellectual-property': info('Reproduces or helps infringe copyrighted or otherwise protected material.'),
  elections: info('Factually wrong information about electoral processes (when, where, how to vote).'),
  pii: info('Personal data: contact details, identifiers, financial numbers (from the PII detector).'),
  'prompt-injection': info(
    'Text that tries to override an LLM’s instructions, jailbreak it or exfiltrate its system prompt or data.',
  ),
  spam: info('Unsolicited bulk or promotional content, scams and phishing lures.'),
  profanity: info('Obscene or vulgar words, whatever their target (may be harmless banter).'),
  toxicity: info(
    'A generic “toxic” score from a single-output model, for models that do not split by category.',
  ),
  'negative-sentiment': info(
    'Strongly negative tone. Not a harm by itself; useful for routing to review together with other signals.',
  ),
} as const satisfies Record<string, CategoryInfo>;

export type SafetyCategory = keyof typeof SafetyCategories;

export const ALL_SAFETY_CATEGORIES: readonly SafetyCategory[] = Object.keys(
  SafetyCategories,
) as SafetyCategory[];

export function isSafetyCategory(value: string): value is SafetyCategory {
  return Object.hasOwn(SafetyCategories, value);
}

/** `self-harm/intent` → `self-harm`; a top-level category is its own root. */
export function parentCategory(category: SafetyCategory): SafetyCategory | undefined {
  const slash = category.indexOf('/');
  return slash < 0 ? undefined : (category.slice(0, slash) as SafetyCategory);
}

/** True when a rule written for `ruleCategory` covers a score of `scoreCategory` (itself or a child). */
export function categoryCovers(ruleCategory: SafetyCategory, scoreCategory: SafetyCategory): boolean {
  return ruleCategory === scoreCategory || parentCategory(scoreCategory) === ruleCategory;
}

// ---------------------------------------------------------------------------------------------
// Scores
// ---------------------------------------------------------------------------------------------

/** What produced a score: a trained model, transparent rules (regex / heuristics) or a word list. */
export const ScoreSourceKind = { MODEL: 'model', RULES: 'rules', LEXICON: 'lexicon' } as const;
export type ScoreSourceKind = (typeof ScoreSourceKind)[keyof typeof ScoreSourceKind];

export interface ScoreSource {
  readonly kind: ScoreSourceKind;
  /** Model or rule-set name, e.g. `kaleido-rules-text`, `toxic-bert`, `obscenity`. */
  readonly name: string;
  /** Version of the model or rule set (a model version, a package version, a rule-set version). */
  readonly version: string;
}

/**
 * The score source of an analyzer (core/ports/analyzer.ts): neural and trained models are
 * `model`, word lists `lexicon`, hand-written patterns `rules`. Lets the text modality's profanity
 * and sentiment results enter the policy with their model name and version.
 */
export function sourceOfAnalyzer(info: Pick<AnalyzerInfo, 'model' | 'version' | 'method'>): ScoreSource {
  const kind: ScoreSourceKind =
    info.method === 'lexicon' ? 'lexicon' : info.method === 'rules' ? 'rules' : 'model';
  return { kind, name: info.model, version: info.version };
}

/** Evidence inside the analysed text: UTF-16 offsets, `end` exclusive (as in the PII module). */
export interface ScoreSpan {
  readonly start: number;
  readonly end: number;
  /** Which rule or signal matched here. */
  readonly label?: string;
}

/** One category's score from one source. */
export interface CategoryScore {
  readonly category: SafetyCategory;
  /** Probability-like confidence in [0, 1]; higher means more likely / more severe. */
  readonly score: number;
  readonly source: ScoreSource;
  readonly spans?: readonly ScoreSpan[];
  /** Azure-compatible severity 0–7, when the source reports one (see `severityToScore`). */
  readonly severity?: number;
}

const invalid = (message: string, details: Record<string, unknown>): KaleidoError =>
  new KaleidoError('ERR_VALIDATION', message, { details });

/** Checks one score's shape; throws ERR_VALIDATION naming the offending field. */
export function validateCategoryScore(s: CategoryScore, field = 'score'): void {
  if (!isSafetyCategory(s.category)) {
    throw invalid(`${field}.category: unknown safety category "${String(s.category)}"`, {
      field: `${field}.category`,
    });
  }
  if (typeof s.score !== 'number' || !Number.isFinite(s.score) || s.score < 0 || s.score > 1) {
    throw invalid(`${field}.score: must be a number between 0 and 1`, {
      field: `${field}.score`,
      value: s.score,
    });
  }
  const src = s.source as Partial<ScoreSource> | undefined;
  if (
    src === undefined ||
    !Object.values(ScoreSourceKind).includes(src.kind as ScoreSourceKind) ||
    typeof src.name !== 'string' ||
    src.name === '' ||
    typeof src.version !== 'string' ||
    src.version === ''
  ) {
    throw invalid(`${field}.source: every score names its model or rule set (kind, name, version)`, {
      field: `${field}.source`,
    });
  }
  if (s.severity !== undefined && !(Number.isInteger(s.severity) && s.severity >= 0 && s.severity <= 7)) {
    throw invalid(`${field}.severity: must be an integer 0–7`, {
      field: `${field}.severity`,
      value: s.severity,
    });
  }
  for (const [i, span] of (s.spans ?? []).entries()) {
    if (
      !Number.isInteger(span.start) ||
      !Number.isInteger(span.end) ||
      span.start < 0 ||
      span.end < span.start
    ) {
      throw invalid(`${field}.spans[${i}]: start and end must be integers with 0 ≤ start ≤ end`, {
        field: `${field}.spans[${i}]`,
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Azure severity ↔ score
// ---------------------------------------------------------------------------------------------

/** Azure AI Content Safety's severity scale: 0 (safe) … 7 (most severe). */
export const MAX_SEVERITY = 7;

/**
 * Severity k ↔ the score interval [k/7, (k+1)/7): `severityToScore(k) = k/7` and
 * `scoreToSeverity(x) = ⌊7x⌋` (7 for x = 1). The pair is chosen so that thresholds mean the same
 * thing on both scales: `scoreToSeverity(x) ≥ k` exactly when `x ≥ severityToScore(k)`. So an
 * Azure setting "block at severity ≥ 4" is the policy threshold 4/7 ≈ 0.571. Azure's trimmed
 * scale (0, 2, 4, 6) maps through the same function.
 */
export function severityToScore(severity: number): number {
  if (!Number.isInteger(severity) || severity < 0 || severity > MAX_SEVERITY) {
    throw invalid('severity must be an integer 0–7', { field: 'severity', value: severity });
  }
  return severity / MAX_SEVERITY;
}

export function scoreToSeverity(score: number): number {
  if (!Number.isFinite(score) || score < 0 || score > 1) {
    throw invalid('score must be a number between 0 and 1', { field: 'score', value: score });
  }
  // The epsilon absorbs binary rounding: (3/7)·7 is 2.9999999999999996 in doubles, and must be 3.
  return Math.min(MAX_SEVERITY, Math.floor(score * MAX_SEVERITY + 1e-9));
}

// ---------------------------------------------------------------------------------------------
// Mappings
// ---------------------------------------------------------------------------------------------

/** OpenAI moderation categories (omni-moderation), as its API spells them. */
export const OPENAI_CATEGORIES = [
  'harassment',
  'harassment/threatening',
  'hate',
  'hate/threatening',
  'illicit',
  'illicit/violent',
  'self-harm',
  'self-harm/intent',
  'self-harm/instructions',
  'sexual',
  'sexual/minors',
  'violence',
  'violence/graphic',
] as const;
export type OpenAICategory = (typeof OPENAI_CATEGORIES)[number];

/** Azure AI Content Safety harm categories (API terms). */
export const AZURE_CATEGORIES = ['Hate', 'Sexual', 'Violence', 'SelfHarm'] as const;
export type AzureCategory = (typeof AZURE_CATEGORIES)[number];

/**
 * MLCommons hazard taxonomy with Llama Guard 3's S-numbering: S1–S12 and S13 are the MLCommons
 * hazards (AILuminate names them without numbers), S14 is Llama Guard's addition for tool use.
 */
export const MLCOMMONS_HAZARDS = {
  S1: 'Violent Crimes',
  S2: 'Non-Violent Crimes',
  S3: 'Sex-Related Crimes',
  S4: 'Child Sexual Exploitation',
  S5: 'Defamation',
  S6: 'Specialized Advice',
  S7: 'Privacy',
  S8: 'Intellectual Property',
  S9: 'Indiscriminate Weapons',
  S10: 'Hate',
  S11: 'Suicide & Self-Harm',
  S12: 'Sexual Content',
  S13: 'Elections',
  S14: 'Code Interpreter Abuse',
} as const;
export type MlcHazard = keyof typeof MLCOMMONS_HAZARDS;

/** Incoming: each OpenAI category is one of ours (the names coincide by design). */
export const FROM_OPENAI: Readonly<Record<OpenAICategory, SafetyCategory>> = {
  harassment: 'harassment',
  'harassment/threatening': 'harassment/threatening',
  hate: 'hate',
  'hate/threatening': 'hate/threatening',
  illicit: 'illicit',
  'illicit/violent': 'illicit/violent',
  'self-harm': 'self-harm',
  'self-harm/intent': 'self-harm/intent',
  'self-harm/instructions': 'self-harm/instructions',
  sexual: 'sexual',
  'sexual/minors': 'sexual/minors',
  violence: 'violence',
  'violence/graphic': 'violence/graphic',
};

/**
 * Incoming Azure categories. Azure's Hate also covers harassment and bullying, and its Violence
 * covers threats and weapons; we land them on the broad parent, the nearest faithful choice.
 */
export const FROM_AZURE: Readonly<Record<AzureCategory, SafetyCategory>> = {
  Hate: 'hate',
  Sexual: 'sexual',
  Violence: 'violence',
  SelfHarm: 'self-harm',
};

/** Incoming MLCommons / Llama Guard hazards. */
export const FROM_MLCOMMONS: Readonly<Record<MlcHazard, SafetyCategory>> = {
  S1: 'illicit/violent',
  S2: 'illicit',
  S3: 'sexual/crime',
  S4: 'sexual/minors',
  S5: 'defamation',
  S6: 'specialized-advice',
  S7: 'pii',
  S8: 'intellectual-property',
  S9: 'illicit/cbrne',
  S10: 'hate',
  S11: 'self-harm',
  S12: 'sexual',
  S13: 'elections',
  // Container escape, denial of service and privilege escalation through a code tool: cybercrime,
  // which MLCommons files under non-violent crimes.
  S14: 'illicit',
};

/** Outgoing: which OpenAI category each of ours contributes to (none where OpenAI has no such category). */
export const TO_OPENAI: Readonly<Record<SafetyCategory, readonly OpenAICategory[]>> = {
  hate: ['hate'],
  'hate/threatening': ['hate/threatening'],
  harassment: ['harassment'],
  'harassment/threatening': ['harassment/threatening'],
  violence: ['violence'],
  'violence/graphic': ['violence/graphic'],
  'self-harm': ['self-harm'],
  'self-harm/intent': ['self-harm/intent'],
  'self-harm/instructions': ['self-harm/instructions'],
  sexual: ['sexual'],
  'sexual/minors': ['sexual/minors'],
  'sexual/crime': ['sexual'],
  illicit: ['illicit'],
  'illicit/violent': ['illicit/violent'],
  'illicit/cbrne': ['illicit/violent'],
  defamation: [],
  'specialized-advice': [],
  'intellectual-property': [],
  elections: [],
  pii: [],
  'prompt-injection': [],
  spam: [],
  profanity: [],
  toxicity: [],
  'negative-sentiment': [],
};

export const TO_AZURE: Readonly<Record<SafetyCategory, readonly AzureCategory[]>> = {
  hate: ['Hate'],
  'hate/threatening': ['Hate', 'Violence'],
  harassment: ['Hate'],
  'harassment/threatening': ['Hate', 'Violence'],
  violence: ['Violence'],
  'violence/graphic': ['Violence'],
  'self-harm': ['SelfHarm'],
  'self-harm/intent': ['SelfHarm'],
  'self-harm/instructions': ['SelfHarm'],
  sexual: ['Sexual'],
  'sexual/minors': ['Sexual'],
  'sexual/crime': ['Sexual'],
  illicit: [],
  'illicit/violent': ['Violence'],
  'illicit/cbrne': ['Violence'],
  defamation: [],
  'specialized-advice': [],
  'intellectual-property': [],
  elections: [],
  pii: [],
  'prompt-injection': [],
  spam: [],
  profanity: [],
  toxicity: [],
  'negative-sentiment': [],
};

export const TO_MLCOMMONS: Readonly<Record<SafetyCategory, readonly MlcHazard[]>> = {
  hate: ['S10'],
  'hate/threatening': ['S10', 'S1'],
  harassment: [],
  // MLCommons files threats and intimidation under non-violent (personal) crimes.
  'harassment/threatening': ['S2'],
  violence: [],
  'violence/graphic': [],
  'self-harm': ['S11'],
  'self-harm/intent': ['S11'],
  'self-harm/instructions': ['S11'],
  sexual: ['S12'],
  'sexual/minors': ['S4'],
  'sexual/crime': ['S3'],
  illicit: ['S2'],
  'illicit/violent': ['S1'],
  'illicit/cbrne': ['S9'],
  defamation: ['S5'],
  'specialized-advice': ['S6'],
  'intellectual-property': ['S8'],
  elections: ['S13'],
  pii: ['S7'],
  'prompt-injection': [],
  spam: [],
  profanity: [],
  toxicity: [],
  'negative-sentiment': [],
};

const checkUnit = (value: unknown, field: string): number => {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw invalid(`${field}: must be a number between 0 and 1`, { field, value });
  }
  return value;
};

/**
 * OpenAI's `category_scores` → our scores. An unknown key is an error rather than being dropped:
 * a silently ignored category is a silently passed harm.
 */
export function fromOpenAIScores(
  categoryScores: Readonly<Record<string, number>>,
  source: ScoreSource,
): CategoryScore[] {
  return Object.entries(categoryScores).map(([key, value]) => {
    if (!(OPENAI_CATEGORIES as readonly string[]).includes(key)) {
      throw invalid(`category_scores.${key}: not an OpenAI moderation category`, {
        field: `category_scores.${key}`,
      });
    }
    return {
      category: FROM_OPENAI[key as OpenAICategory],
      score: checkUnit(value, `category_scores.${key}`),
      source,
    };
  });
}

/** Azure `categoriesAnalysis` ([{ category, severity }]) → our scores, severity kept alongside. */
export function fromAzureAnalysis(
  analysis: ReadonlyArray<{ readonly category: string; readonly severity: number }>,
  source: ScoreSource,
): CategoryScore[] {
  return analysis.map(({ category, severity }, i) => {
    if (!(AZURE_CATEGORIES as readonly string[]).includes(category)) {
      throw invalid(`categoriesAnalysis[${i}].category: not an Azure Content Safety category "${category}"`, {
        field: `categoriesAnalysis[${i}].category`,
      });
    }
    return {
      category: FROM_AZURE[category as AzureCategory],
      score: severityToScore(severity),
      severity,
      source,
    };
  });
}

/** MLCommons / Llama Guard hazards with a probability each (e.g. P(unsafe) for the listed codes). */
export function fromMlcHazards(
  hazards: Readonly<Record<string, number>>,
  source: ScoreSource,
): CategoryScore[] {
  return Object.entries(hazards).map(([code, value]) => {
    if (!Object.hasOwn(MLCOMMONS_HAZARDS, code)) {
      throw invalid(`hazards.${code}: not an MLCommons hazard code (S1–S14)`, { field: `hazards.${code}` });
    }
    return {
      category: FROM_MLCOMMONS[code as MlcHazard],
      score: checkUnit(value, `hazards.${code}`),
      source,
    };
  });
}

/** Largest score per outgoing category; a category nobody scored is 0. */
function collapse<K extends string>(
  scores: readonly CategoryScore[],
  keys: readonly K[],
  table: Readonly<Record<SafetyCategory, readonly K[]>>,
): Record<K, number> {
  const out = Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
  for (const s of scores) for (const k of table[s.category]) out[k] = Math.max(out[k], s.score);
  return out;
}

/** Our scores as OpenAI `category_scores` (max over everything that maps to each category). */
export function toOpenAIScores(scores: readonly CategoryScore[]): Record<OpenAICategory, number> {
  return collapse(scores, OPENAI_CATEGORIES, TO_OPENAI);
}

/** Our scores as Azure `categoriesAnalysis`, severity per `scoreToSeverity`. */
export function toAzureAnalysis(
  scores: readonly CategoryScore[],
): Array<{ category: AzureCategory; severity: number }> {
  const max = collapse(scores, AZURE_CATEGORIES, TO_AZURE);
  return AZURE_CATEGORIES.map((category) => ({ category, severity: scoreToSeverity(max[category]) }));
}

/** Our scores as MLCommons hazard probabilities. */
export function toMlcHazards(scores: readonly CategoryScore[]): Record<MlcHazard, number> {
  return collapse(scores, Object.keys(MLCOMMONS_HAZARDS) as MlcHazard[], TO_MLCOMMONS);
}
