/**
 * PII detection contracts: what a recognizer finds, how it is told about its surroundings, and the
 * ports the detector and the anonymizer need from outside (phone metadata, cryptography).
 *
 * Offsets are UTF-16 code unit offsets into the analyzed string (what `String.prototype.slice`
 * uses), `end` exclusive, so `text.slice(f.start, f.end)` is always the matched value.
 */

export const PiiEntity = {
  EMAIL_ADDRESS: 'EMAIL_ADDRESS',
  PHONE_NUMBER: 'PHONE_NUMBER',
  CREDIT_CARD: 'CREDIT_CARD',
  IBAN_CODE: 'IBAN_CODE',
  US_SSN: 'US_SSN',
  IP_ADDRESS: 'IP_ADDRESS',
  URL: 'URL',
  DATE_OF_BIRTH: 'DATE_OF_BIRTH',
  CRYPTO_WALLET: 'CRYPTO_WALLET',
  PASSPORT: 'PASSPORT',
  PERSON: 'PERSON',
  LOCATION: 'LOCATION',
} as const;
export type PiiEntity = (typeof PiiEntity)[keyof typeof PiiEntity];

export const ALL_PII_ENTITIES: readonly PiiEntity[] = Object.values(PiiEntity);

export function isPiiEntity(value: string): value is PiiEntity {
  return (ALL_PII_ENTITIES as readonly string[]).includes(value);
}

/** One detected span. */
export interface Finding {
  readonly entity: PiiEntity;
  /** UTF-16 code unit offset of the first character. */
  readonly start: number;
  /** UTF-16 code unit offset just past the last character (exclusive). */
  readonly end: number;
  /** Confidence in [0, 1], after context enhancement when returned by the analyzer. */
  readonly score: number;
  /** Name of the recognizer that produced the finding. */
  readonly recognizer: string;
  /** The matched value (`text.slice(start, end)`); the analyzer always fills it. */
  readonly text?: string;
  /** Why the score is what it is (validation result, context word found …), for audits. */
  readonly explanation?: string;
}

/** What a recognizer gets besides the text. */
export interface AnalysisContext {
  /** ISO 639-1 language of the text, when known ('en' when unknown). */
  readonly language: string;
  /**
   * ISO 3166-1 alpha-2 regions whose national number formats are assumed for phone numbers
   * written without a country prefix, in order of preference.
   */
  readonly regions: readonly string[];
}

/**
 * A recognizer finds spans of one or more entity types. It must be pure and linear-time in the
 * text length (no catastrophic regex backtracking): the analyzer runs every recognizer on every
 * text, including long OCR dumps and transcripts.
 */
export interface Recognizer {
  readonly name: string;
  readonly entities: readonly PiiEntity[];
  /**
   * Words that, when they appear shortly before a finding of this recognizer, raise its score
   * (Presidio's context enhancement). Lower case; multi-word phrases allowed.
   */
  readonly context?: readonly string[];
  /**
   * Words that, shortly before a finding and with no positive context word present, lower its
   * score ("order 4111 …", "version 10.0.0.1"). An extension of Presidio's scheme for the
   * look-alikes that a checksum cannot rule out.
   */
  readonly negativeContext?: readonly string[];
  analyze(text: string, context: AnalysisContext): Finding[];
}

/** Port: phone-number metadata (which digit strings are real numbers in which region). */
export interface PhoneValidator {
  /**
   * Validate a candidate as written in text (digits, spaces, dashes, dots, parentheses, an
   * optional leading '+'). National formats are read in `region`. Returns the number in E.164
   * and its region when it is a valid, assigned number pattern; undefined otherwise.
   * `nationalGroups` are the digit-group sizes of the number's usual national format
   * ("(415) 555-2671" → [3, 3, 4]), used to reject national look-alikes grouped differently.
   */
  validate(
    candidate: string,
    region: string,
  ): { e164: string; region: string; nationalGroups?: readonly number[] } | undefined;
}

/**
 * Port: the cryptography the anonymizer needs. Synchronous because every supported runtime
 * (node:crypto) offers it synchronously, and anonymization is CPU-bound and short.
 */
export interface PiiCrypto {
  /** HMAC-SHA-256 (RFC 2104) of `data` under `key`; 32 bytes. */
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  /**
   * AES-256-GCM with a fresh random 96-bit IV; returns iv (12) | ciphertext | tag (16).
   * `key` must be 32 bytes.
   */
  aesGcmEncrypt(key: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Inverse of `aesGcmEncrypt`; throws a KaleidoError when the blob was tampered with. */
  aesGcmDecrypt(key: Uint8Array, blob: Uint8Array): Uint8Array;
}
