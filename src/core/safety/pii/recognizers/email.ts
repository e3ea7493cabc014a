import type { AnalysisContext, Finding, Recognizer } from '../types.js';
import { isValidHostname } from '../text.js';

const LOCAL_CHAR = /[A-Za-z0-9._%+-]/;
const DOMAIN_CHAR = /[A-Za-z0-9.-]/;

/**
 * E-mail addresses, RFC 5321/5322 pragmatic subset: dot-atom local part of the characters real
 * mailboxes use (letters, digits, . _ % + -), ≤ 64 characters, no leading, trailing or doubled
 * dot; a valid DNS host name with an alphabetic TLD. Quoted local parts and IP-literal domains
 * are not recognized (they practically never appear in prose).
 *
 * Scanning is anchored on '@' and bounded (64 left, 253 right), so a text of '@'s stays linear.
 */
export class EmailRecognizer implements Recognizer {
  readonly name = 'EmailRecognizer';
  readonly entities = ['EMAIL_ADDRESS'] as const;
  readonly context = ['email', 'e-mail', 'mail', 'contact', 'address', 'write to'];

  analyze(text: string, _context: AnalysisContext): Finding[] {
    const out: Finding[] = [];
    let searchFrom = 0;
    for (;;) {
      const at = text.indexOf('@', searchFrom);
      if (at < 0) break;
      searchFrom = at + 1;
      let s = at;
      while (s > 0 && at - s < 64 && LOCAL_CHAR.test(text[s - 1]!)) s--;
      // The local part must not have been cut by the 64-character bound.
      if (s > 0 && LOCAL_CHAR.test(text[s - 1]!)) continue;
      while (s < at && (text[s] === '.' || text[s] === '-')) s++;
      let e = at + 1;
      while (e < text.length && e - at <= 253 && DOMAIN_CHAR.test(text[e]!)) e++;
      while (e > at + 1 && (text[e - 1] === '.' || text[e - 1] === '-')) e--;
      const local = text.slice(s, at);
      const domain = text.slice(at + 1, e);
      if (local.length === 0 || local.endsWith('.') || local.includes('..')) continue;
      if (!isValidHostname(domain)) continue;
      // "a@b.com@c" is not an address; nor is a match glued to more address characters.
      if (text[e] === '@' || text[s - 1] === '@') continue;
      out.push({
        entity: 'EMAIL_ADDRESS',
        start: s,
        end: e,
        score: 0.95,
        recognizer: this.name,
        explanation: 'local part and host name valid',
      });
      searchFrom = e;
    }
    return out;
  }
}
