/**
 * Highlighting spans of a text: the analyzers answer (possibly overlapping) UTF-16 ranges into the
 * normalised input; the page shows the text once, cut at every span boundary, each piece carrying
 * every span that covers it.
 */

export interface Mark {
  readonly start: number;
  readonly end: number;
  /** What kind of finding: pii, entity, profanity, injection … (styles and the legend use it). */
  readonly kind: string;
  /** Shown to people: "EMAIL_ADDRESS", "override.ignore-previous" … */
  readonly label: string;
}

export interface Segment {
  readonly text: string;
  readonly start: number;
  readonly end: number;
  readonly marks: readonly Mark[];
}

/**
 * Cuts `text` at every mark boundary. Marks outside the text are clamped, empty or inverted ones
 * dropped; the segments cover the whole text in order, and concatenated give it back.
 */
export function segmentText(text: string, marks: readonly Mark[]): Segment[] {
  const valid = marks
    .map((m) => ({
      ...m,
      start: Math.max(0, Math.min(m.start, text.length)),
      end: Math.min(m.end, text.length),
    }))
    .filter((m) => Number.isFinite(m.start) && Number.isFinite(m.end) && m.end > m.start);
  const cuts = new Set<number>([0, text.length]);
  for (const m of valid) {
    cuts.add(m.start);
    cuts.add(m.end);
  }
  const points = [...cuts].sort((a, b) => a - b);
  const segments: Segment[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const start = points[i]!;
    const end = points[i + 1]!;
    segments.push({
      text: text.slice(start, end),
      start,
      end,
      marks: valid.filter((m) => m.start <= start && m.end >= end),
    });
  }
  return segments;
}

// eslint-disable-next-line no-control-regex -- the server removes exactly these characters.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The server's text normalisation (src/modalities/text/normalize.ts): spans index into this
 * string, not into what was typed, so the page highlights the same string the server analysed.
 */
export const normalizeForSpans = (text: string): string =>
  text.replace(LONE_SURROGATE, '\uFFFD').normalize('NFC').replace(CONTROL, '');
