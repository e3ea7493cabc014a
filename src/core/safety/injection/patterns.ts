/**
 * The phrase patterns of the prompt-injection heuristics, grouped by family. Each pattern has a
 * stable id (reported in signals), a weight (its confidence alone) and a one-line reason.
 * Compiled with flags `giu`. Keep them linear-time: bounded repetitions, no nested quantifiers.
 */

export const InjectionFamily = {
  OVERRIDE: 'override',
  MULTILINGUAL: 'multilingual',
  JAILBREAK: 'jailbreak',
  EXFILTRATION: 'exfiltration',
  ROLE_MARKER: 'role-marker',
  ENCODED: 'encoded',
  UNICODE_TAGS: 'unicode-tags',
  INVISIBLE: 'invisible',
  MARKUP_EXFIL: 'markup-exfil',
  DATA_EXFIL: 'data-exfil',
} as const;
export type InjectionFamily = (typeof InjectionFamily)[keyof typeof InjectionFamily];

export interface PhrasePattern {
  readonly id: string;
  readonly family: InjectionFamily;
  readonly pattern: string;
  readonly weight: number;
  readonly description: string;
  /** Compile without the `i` flag (default: case-insensitive). */
  readonly caseSensitive?: boolean;
  /** ISO 639-1 language of a multilingual pattern. */
  readonly language?: string;
}

const r = String.raw;

const PRIOR = r`(?:previous|prior|above|earlier|preceding|former|original|initial|system|existing|current|old)`;
const RULES = r`(?:instructions?|prompts?|rules?|directions?|directives?|guidelines?|commands?|context|messages?|constraints?|programming|guardrails?|restrictions?)`;

export const PHRASE_PATTERNS: readonly PhrasePattern[] = [
  // --- instruction override ---------------------------------------------------------------------
  {
    id: 'override.ignore-previous',
    family: 'override',
    pattern: r`\b(?:ignore|disregard|forget|skip|bypass|override|overlook|discard|drop)\s+(?:all\s+|any\s+|every\s+)?(?:of\s+)?(?:the\s+|your\s+|my\s+|these\s+|those\s+)?${PRIOR}\s+(?:\w+\s+)?${RULES}\b`,
    weight: 0.85,
    description: 'Asks the model to drop its earlier instructions.',
  },
  {
    id: 'override.forget-everything',
    family: 'override',
    pattern: r`\b(?:ignore|disregard|forget)\s+(?:everything|all(?:\s+that)?)\s+(?:you(?:'ve|\s+have|\s+were)?\s+(?:been\s+)?(?:told|instructed|taught|said)|(?:i\s+)?(?:said|written|stated|told\s+you)\s+(?:above|before|earlier)|above|before\s+this)\b`,
    weight: 0.85,
    description: 'Asks the model to forget what it was told.',
  },
  {
    id: 'override.new-instructions',
    family: 'override',
    pattern: r`\b(?:new|updated|real|actual|true)\s+(?:system\s+)?(?:instructions?|task|objective|orders)\s*:|\byour\s+(?:new|real|actual|true)\s+(?:task|instructions?|goal|purpose|objective|job)\s+(?:is|are|will\s+be)\b`,
    weight: 0.6,
    description: 'Announces replacement instructions.',
  },
  {
    id: 'override.from-now-on',
    family: 'override',
    pattern: r`\bfrom\s+now\s+on,?\s+(?:you\s+(?:will|must|are|shall|should)|respond|answer|act|only)\b`,
    weight: 0.4,
    description: 'Redefines the model’s behaviour for the rest of the conversation (weak alone).',
  },
  {
    id: 'override.addressed-to-ai',
    family: 'override',
    pattern: r`\b(?:ai|assistant|chatbot|llm|language\s+model|gpt|claude)\s*[,:]\s*(?:ignore|disregard|you\s+must\s+now|do\s+not\s+(?:tell|inform|mention))\b|\b(?:note|instruction|message)\s+(?:to|for)\s+(?:the\s+)?(?:ai|assistant|llm|language\s+model)\s*:`,
    weight: 0.7,
    description: 'Text inside data that addresses the AI reading it (indirect injection).',
  },
  // --- multilingual "ignore previous instructions" ---------------------------------------------
  {
    id: 'multilingual.es',
    family: 'multilingual',
    language: 'es',
    pattern: r`\b(?:ignora|ignore|olvida|olvide|descarta|omite)\s+(?:todas\s+)?(?:las\s+|tus\s+)?instrucciones\s+(?:anteriores|previas|de\s+arriba)`,
    weight: 0.85,
    description: 'Spanish: ignore the previous instructions.',
  },
  {
    id: 'multilingual.fr',
    family: 'multilingual',
    language: 'fr',
    pattern: r`\b(?:ignore[rz]?|oublie[rz]?)\s+(?:toutes\s+)?(?:les\s+|tes\s+|vos\s+)?(?:instructions|consignes)\s+(?:précédentes|precedentes|antérieures|anterieures|ci-dessus)`,
    weight: 0.85,
    description: 'French: ignore the previous instructions.',
  },
  {
    id: 'multilingual.de',
    family: 'multilingual',
    language: 'de',
    pattern: r`\b(?:ignoriere|ignorieren\s+sie|vergiss|vergessen\s+sie|missachte)\s+(?:alle\s+)?(?:deine\s+|die\s+)?(?:vorherigen|bisherigen|obigen|vorigen|früheren|frueheren)\s+(?:anweisungen|instruktionen|befehle|regeln)`,
    weight: 0.85,
    description: 'German: ignore all previous instructions.',
  },
  {
    id: 'multilingual.it',
    family: 'multilingual',
    language: 'it',
    pattern: r`\b(?:ignora|ignorate|dimentica|dimenticate)\s+(?:tutte\s+)?(?:le\s+)?(?:istruzioni|indicazioni)\s+(?:precedenti|sopra)`,
    weight: 0.85,
    description: 'Italian: ignore the previous instructions.',
  },
  {
    id: 'multilingual.pt',
    family: 'multilingual',
    language: 'pt',
    pattern: r`\b(?:ignore|ignora|esqueça|esqueca|desconsidere)\s+(?:todas\s+)?(?:as\s+)?(?:instruções|instrucoes)\s+(?:anteriores|prévias|previas|acima)`,
    weight: 0.85,
    description: 'Portuguese: ignore the previous instructions.',
  },
  {
    id: 'multilingual.nl',
    family: 'multilingual',
    language: 'nl',
    pattern: r`\b(?:negeer|vergeet)\s+(?:alle\s+)?(?:de\s+)?(?:vorige|eerdere|voorgaande)\s+(?:instructies|opdrachten)`,
    weight: 0.85,
    description: 'Dutch: ignore the previous instructions.',
  },
  {
    id: 'multilingual.ru',
    family: 'multilingual',
    language: 'ru',
    pattern: r`(?:игнорируй|игнорируйте|забудь|забудьте)\s+(?:все\s+)?(?:предыдущие|прошлые|прежние)\s+(?:инструкции|указания|команды)`,
    weight: 0.85,
    description: 'Russian: ignore the previous instructions.',
  },
  {
    id: 'multilingual.zh',
    family: 'multilingual',
    language: 'zh',
    pattern: r`(?:忽略|无视|忽视|不要理会)(?:之前|以上|上面|先前|前面)(?:的)?(?:所有)?(?:指令|指示|说明|规则)`,
    weight: 0.85,
    description: 'Chinese: ignore the previous instructions.',
  },
  {
    id: 'multilingual.ja',
    family: 'multilingual',
    language: 'ja',
    pattern: r`(?:以前|前|上記)の(?:すべての)?(?:指示|命令)を(?:すべて)?無視`,
    weight: 0.85,
    description: 'Japanese: ignore the previous instructions.',
  },
  // --- jailbreak role-play -----------------------------------------------------------------------
  {
    id: 'jailbreak.dan',
    family: 'jailbreak',
    // Case-sensitive: "DAN" the persona, not Dan the colleague.
    pattern: r`\b(?:[Yy]ou\s+are|[Aa]ct\s+as|[Yy]ou're|[Bb]ecome|[Pp]retend\s+to\s+be|called|named)\s+(?:now\s+)?(?:a\s+)?DAN\b`,
    caseSensitive: true,
    weight: 0.85,
    description: 'The "DAN" (Do Anything Now) persona jailbreak.',
  },
  {
    id: 'jailbreak.do-anything-now',
    family: 'jailbreak',
    pattern: r`\bdo\s+anything\s+now\b`,
    weight: 0.85,
    description: 'The "Do Anything Now" jailbreak by its long name.',
  },
  {
    id: 'jailbreak.developer-mode',
    family: 'jailbreak',
    pattern: r`\bdeveloper\s+mode\s+(?:enabled|on|activated|output)\b|\b(?:enable|activate|enter)\s+(?:developer|god|debug|sudo)\s+mode\b`,
    weight: 0.8,
    description: 'Fake "developer mode" switches.',
  },
  {
    id: 'jailbreak.no-restrictions-persona',
    family: 'jailbreak',
    pattern: r`\b(?:pretend|imagine|act|behave|roleplay|role-play)\s+(?:that\s+)?(?:you\s+are|you're|to\s+be|as)\s+(?:an?\s+)?(?:\w+\s+){0,3}?(?:ai|assistant|model|chatbot|bot|llm|character)\s+(?:without|with\s+no|that\s+has\s+no|who\s+has\s+no|free\s+(?:of|from))\s+(?:any\s+)?(?:restrictions|filters|rules|limits|limitations|guidelines|ethics|morals|censorship)\b`,
    weight: 0.85,
    description: 'Role-play as a model without restrictions.',
  },
  {
    id: 'jailbreak.unfiltered',
    family: 'jailbreak',
    pattern: r`\b(?:unfiltered|uncensored|unrestricted|jailbroken|amoral|unaligned)\s+(?:ai|assistant|model|chatbot|mode|version|responses?|answers?)\b`,
    weight: 0.7,
    description: 'Asks for an unfiltered model or answer.',
  },
  {
    id: 'jailbreak.no-guidelines',
    family: 'jailbreak',
    pattern: r`\b(?:no|without|free\s+(?:of|from)|ignore\s+(?:your|all|any))\s+(?:any\s+)?(?:ethical|moral|content|safety|openai|anthropic)\s+(?:guidelines|restrictions|filters|constraints|policies|policy|limits)\b`,
    weight: 0.55,
    description: 'Asks the model to set aside its content or safety policies.',
  },
  {
    id: 'jailbreak.stay-in-character',
    family: 'jailbreak',
    pattern: r`\bstay\s+in\s+character\b|\bbreak\s+character\s+and\s+i\b`,
    weight: 0.4,
    description: 'Persona enforcement typical of role-play jailbreaks (weak alone).',
  },
  // --- system prompt exfiltration -----------------------------------------------------------------
  {
    id: 'exfiltration.reveal-prompt',
    family: 'exfiltration',
    pattern: r`\b(?:reveal|show|print|output|display|repeat|tell|give|share|leak|dump|recite|write\s+out|spell\s+out)\s+(?:me\s+|us\s+)?(?:all\s+)?(?:of\s+)?(?:your\s+(?:full\s+|entire\s+|original\s+|hidden\s+|secret\s+|initial\s+|exact\s+|system\s+)?(?:system\s+prompt|system\s+message|instructions|initial\s+prompt|hidden\s+prompt|prompt|pre-?prompt|rules|guidelines|configuration)|the\s+(?:full\s+|entire\s+|original\s+|hidden\s+|secret\s+|exact\s+)?(?:system\s+prompt|system\s+message|initial\s+prompt|hidden\s+prompt|pre-?prompt|developer\s+message))\b`,
    weight: 0.8,
    description: 'Asks the model to disclose its system prompt or hidden instructions.',
  },
  {
    id: 'exfiltration.repeat-above',
    family: 'exfiltration',
    pattern: r`\b(?:repeat|print|output|copy|return)\s+(?:everything|all(?:\s+the)?\s+(?:text|words|content)|the\s+(?:text|words|content))\s+(?:above|before\s+this|preceding|that\s+came\s+before)\b|\b(?:text|words|everything)\s+above\s+(?:starting|beginning)\s+with\b`,
    weight: 0.75,
    description: 'Asks the model to echo its context, which starts with the system prompt.',
  },
  {
    id: 'exfiltration.you-were-given',
    family: 'exfiltration',
    pattern: r`\b(?:share|reveal|show|print|tell\s+me|repeat|output|list|recite)\b[^.?!\n]{0,30}?\b(?:instructions|prompt|rules|guidelines|directives)\s+(?:that\s+)?you\s+(?:were|have\s+been|got)\s+given\b`,
    weight: 0.75,
    description: 'Asks the model to disclose the instructions it was given.',
  },
  {
    id: 'exfiltration.what-were-you-told',
    family: 'exfiltration',
    pattern: r`\bwhat\s+(?:is|was|were|are)\s+(?:your|the)\s+(?:system\s+prompt|initial\s+instructions|first\s+instructions|original\s+instructions|hidden\s+instructions)\b|\bwhat\s+were\s+you\s+told\s+(?:before|at\s+the\s+start)\b`,
    weight: 0.65,
    description: 'Asks what the model’s hidden instructions are.',
  },
  // --- fake role markers -----------------------------------------------------------------------------
  {
    id: 'role-marker.fake-system',
    family: 'role-marker',
    pattern: r`\[\s*(?:system|admin|developer)\s*\]|<\s*\/?\s*(?:system|sys)\s*>|<\|im_start\|>\s*system|<\|(?:system|endoftext)\|>|###\s*(?:system|instruction)\s*:|\b(?:system|admin)\s+(?:override|message)\s*:`,
    weight: 0.6,
    description: 'Fake chat-template or system-role markers inside user text.',
  },
  // --- decode and obey ---------------------------------------------------------------------------------
  {
    id: 'encoded.decode-and-follow',
    family: 'encoded',
    pattern: r`\b(?:decode|decrypt|deobfuscate|translate|convert)\b[^.!?\n]{0,60}?\b(?:and|then)\s+(?:follow|execute|run|obey|do|carry\s+out|perform|act\s+on)\b`,
    weight: 0.5,
    description: 'Asks the model to decode something and act on it.',
  },
  // --- data exfiltration actions ---------------------------------------------------------------------
  {
    id: 'data-exfil.send-to',
    family: 'data-exfil',
    pattern: r`\b(?:send|forward|post|upload|email|exfiltrate|transmit)\s+(?:all\s+|the\s+|every\s+|their\s+|the\s+user's\s+|my\s+|your\s+)?(?:emails?|messages|conversation|chat\s+history|data|files|contacts|passwords?|credentials|api\s+keys?|tokens?|secrets?|system\s+prompt)\s+to\s+(?:\S+@\S+|https?:\/\/\S+|this\s+(?:address|url|email|endpoint))`,
    weight: 0.45,
    description: 'Asks to send data to an address (weak alone: ordinary requests look the same).',
  },
  {
    id: 'data-exfil.render-secret',
    family: 'data-exfil',
    pattern: r`\b(?:render|display|include|append|insert|embed|add)\b[^.\n]{0,40}?\b(?:image|markdown|link|url)\b[^.\n]{0,80}?\b(?:conversation|chat\s+history|previous\s+messages|user(?:'s)?\s+data|secrets?|passwords?|api\s+keys?|system\s+prompt)\b`,
    weight: 0.6,
    description: 'Asks to smuggle conversation data into an image or link URL.',
  },
];
