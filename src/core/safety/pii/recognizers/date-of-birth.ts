import type { AnalysisContext, Finding, Recognizer } from '../types.js';

const MONTHS: Readonly<Record<string, number>> = {
  jan: 1,
  january: 1,
  feb: 2,
  february: 2,
  mar: 3,
  march: 3,
  apr: 4,
  april: 4,
  may: 5,
  jun: 6,
  june: 6,
  jul: 7,
  july: 7,
  aug: 8,
  august: 8,
  sep: 9,
  sept: 9,
  september: 9,
  oct: 10,
  october: 10,
  nov: 11,
  november: 11,
  dec: 12,
  december: 12,
};
const MONTH_NAMES = Object.keys(MONTHS)
  .sort((a, b) => b.length - a.length)
  .join('|');

// Each pattern is a fixed sequence of bounded pieces (no nested or adjacent unbounded
// quantifiers), so matching is linear. Lookarounds keep dates out of longer tokens.
const ISO = /(?<![\p{L}\p{N}./-])(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?![\p{L}\p{N}]|[-/.]\d)/gu;
const NUMERIC = /(?<![\p{L}\p{N}./-])(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})(?![\p{L}\p{N}]|[-/.]\d)/gu;
const DAY_MONTH_YEAR = new RegExp(
  `(?<![\\p{L}\\p{N}])(\\d{1,2})(?:st|nd|rd|th)?(?: of)?[ -](${MONTH_NAMES})\\.?,?[ -](\\d{4})(?![\\p{L}\\p{N}])`,
  'giu',
);
const MONTH_DAY_YEAR = new RegExp(
  `(?<![\\p{L}\\p{N}])(${MONTH_NAMES})\\.? (\\d{1,2})(?:st|nd|rd|th)?,? (\\d{4})(?![\\p{L}\\p{N}])`,
  'giu',
);

/** Gregorian calendar check; years limited to the range a living person's birth can have. */
export function isCalendarDate(year: number, month: number, day: number): boolean {
  if (year < 1900 || year > 2100 || month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  return day <= days;
}

const fullYear = (y: string): number =>
  y.length === 2 ? (Number(y) > 30 ? 1900 : 2000) + Number(y) : Number(y);

/**
 * Dates of birth: any calendar-valid date (ISO, D/M/Y or M/D/Y with / . -, "12 March 1985",
 * "March 12, 1985") is a candidate with a low score; only a birth context word ("born", "DOB",
 * "date of birth" …) shortly before lifts it over the threshold. A date alone is not personal
 * data; a birth date is.
 */
export class DateOfBirthRecognizer implements Recognizer {
  readonly name = 'DateOfBirthRecognizer';
  readonly entities = ['DATE_OF_BIRTH'] as const;
  readonly context = [
    'born',
    'birth',
    'birthday',
    'birthdate',
    'dob',
    'd o b',
    'date of birth',
    'b',
    'geboren',
    'né',
    'née',
    'nacido',
    'nacida',
    'fecha de nacimiento',
    'date de naissance',
    'geburtsdatum',
  ];

  analyze(text: string, _context: AnalysisContext): Finding[] {
    const out: Finding[] = [];
    const push = (start: number, end: number, how: string): void => {
      out.push({ entity: 'DATE_OF_BIRTH', start, end, score: 0.3, recognizer: this.name, explanation: how });
    };
    for (const m of text.matchAll(ISO)) {
      if (isCalendarDate(Number(m[1]), Number(m[3]), Number(m[4])))
        push(m.index, m.index + m[0].length, 'Y-M-D');
    }
    for (const m of text.matchAll(NUMERIC)) {
      const a = Number(m[1]);
      const b = Number(m[3]);
      const y = fullYear(m[4]!);
      // D/M/Y and M/D/Y are both in use: accept when either reading is a real date.
      if (isCalendarDate(y, b, a) || isCalendarDate(y, a, b))
        push(m.index, m.index + m[0].length, 'D/M/Y or M/D/Y');
    }
    for (const m of text.matchAll(DAY_MONTH_YEAR)) {
      const month = MONTHS[m[2]!.toLowerCase()]!;
      if (isCalendarDate(Number(m[3]), month, Number(m[1])))
        push(m.index, m.index + m[0].length, 'day month year');
    }
    for (const m of text.matchAll(MONTH_DAY_YEAR)) {
      const month = MONTHS[m[1]!.toLowerCase()]!;
      if (isCalendarDate(Number(m[3]), month, Number(m[2])))
        push(m.index, m.index + m[0].length, 'month day, year');
    }
    return out;
  }
}
