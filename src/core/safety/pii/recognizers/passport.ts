import type { AnalysisContext, Finding, Recognizer } from '../types.js';
import { isAlnum } from '../text.js';

/**
 * Passport numbers. No checksum is printed in the visible number (the MRZ check digits are not
 * part of it), and formats overlap with every other ID, so the shape alone scores 0.2 and only a
 * context word ("passport", "travel document" …) lifts it over the threshold. Shapes covered:
 * US (9 digits, or a letter and 8 digits), UK (9 digits), Schengen-style 1–2 letters + 6–8
 * digits (IT, ES, NL …), French (2 digits, 2 letters, 5 digits), German (9 characters of C F G H J K L M N P R T V W X Y Z 0–9).
 */
export class PassportRecognizer implements Recognizer {
  readonly name = 'PassportRecognizer';
  readonly entities = ['PASSPORT'] as const;
  readonly context = [
    'passport',
    'passport no',
    'passport number',
    'passport #',
    'travel document',
    'reisepass',
    'passeport',
    'pasaporte',
    'passaporto',
  ];

  analyze(text: string, _context: AnalysisContext): Finding[] {
    const out: Finding[] = [];
    let i = 0;
    while (i < text.length) {
      if (!isAlnum(text[i]) || isAlnum(text[i - 1])) {
        i++;
        continue;
      }
      let e = i;
      while (e < text.length && isAlnum(text[e])) e++;
      // A hyphen or dot continuing the token means a longer code ("AB123456-7"), not a passport.
      const glued = (text[e] === '-' || text[e] === '.' || text[e] === '/') && isAlnum(text[e + 1]);
      if (!glued && e - i >= 7 && e - i <= 9 && this.shapeOk(text.slice(i, e))) {
        out.push({
          entity: 'PASSPORT',
          start: i,
          end: e,
          score: 0.2,
          recognizer: this.name,
          explanation: 'passport shape',
        });
      }
      i = e;
    }
    return out;
  }

  private shapeOk(token: string): boolean {
    return (
      /^\d{9}$/.test(token) ||
      /^[A-Z]{1,2}\d{6,8}$/.test(token) ||
      /^\d{2}[A-Z]{2}\d{5}$/.test(token) ||
      (/^[CFGHJKLMNPRTVWXYZ][CFGHJKLMNPRTVWXYZ0-9]{8}$/.test(token) && /\d/.test(token))
    );
  }
}
