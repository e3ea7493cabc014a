/**
 * Time segments of a video: the scene cuts split the timeline, and each segment gathers what the
 * sampled frames inside it showed (the most objects of each kind seen at once, faces, on-screen
 * text) and what was said in it (words whose middle falls inside), with a one-line summary:
 *
 *     0:04–0:09: 2 people, a dog; text: "OPEN DAILY"; speech: the shop opens at nine
 *
 * Pure functions: the caller passes what the policy allows to be quoted (redacted words and
 * texts are marked), so a summary never quotes more than the rest of the response.
 */
import type { SceneChange, TimeSpan } from './types.js';

export interface SegmentFrame {
  readonly index: number;
  readonly time: number;
  /** Objects of this frame (already filtered by score). */
  readonly objects: readonly string[];
  readonly faces: number;
  /** On-screen text lines; undefined entries are lines the policy redacted. */
  readonly text: readonly (string | undefined)[];
}

export interface SegmentWord extends TimeSpan {
  /** Undefined when the policy redacted the word. */
  readonly word: string | undefined;
}

export interface VideoSegment extends TimeSpan {
  /** "0:04–0:09". */
  readonly label: string;
  /** Sampled frames inside the segment. */
  readonly frames: readonly number[];
  /** Most of each object class seen in one frame. */
  readonly objects: Readonly<Record<string, number>>;
  /** Most faces seen in one frame. */
  readonly faces: number;
  /** Distinct on-screen text lines, in order of appearance ("<REDACTED>" for redacted ones). */
  readonly text: readonly string[];
  /** Words said in the segment (one "<REDACTED>" per run of redacted words); absent when none. */
  readonly speech?: string;
  readonly summary: string;
}

export interface SegmentOptions {
  /** A cut closer than this to the previous boundary is ignored (default 0.5 s: flashes, fades). */
  readonly minSegmentSeconds?: number;
}

/** m:ss (h:mm:ss from an hour). */
export function formatTime(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

const IRREGULAR: Readonly<Record<string, string>> = {
  person: 'people',
  mouse: 'mice',
  knife: 'knives',
  sheep: 'sheep',
  skis: 'skis',
  scissors: 'scissors',
};

/** English plural of a COCO label's last word. */
export function plural(label: string): string {
  const words = label.split(' ');
  const last = words.pop() as string;
  let p = IRREGULAR[last];
  if (p === undefined) {
    if (/(s|x|z|ch|sh)$/.test(last)) p = `${last}es`;
    else if (/[^aeiou]y$/.test(last)) p = `${last.slice(0, -1)}ies`;
    else p = `${last}s`;
  }
  return [...words, p].join(' ');
}

/** "a dog", "an umbrella", "2 people". */
export function countPhrase(label: string, n: number): string {
  if (n === 1) return `${/^[aeiou]/i.test(label) ? 'an' : 'a'} ${label}`;
  return `${n} ${plural(label)}`;
}

/** Segment boundaries from the cuts: [0, cut₁, …, duration], dropping cuts too close together. */
export function segmentBounds(
  durationSeconds: number,
  scenes: readonly SceneChange[],
  minSegmentSeconds = 0.5,
): TimeSpan[] {
  const cuts: number[] = [];
  let prev = 0;
  for (const s of [...scenes].sort((a, b) => a.time - b.time)) {
    if (s.time - prev < minSegmentSeconds || durationSeconds - s.time < minSegmentSeconds) continue;
    cuts.push(s.time);
    prev = s.time;
  }
  const edges = [0, ...cuts, durationSeconds];
  const out: TimeSpan[] = [];
  for (let i = 0; i + 1 < edges.length; i++)
    out.push({ start: edges[i] as number, end: edges[i + 1] as number });
  return out;
}

const REDACTED = '<REDACTED>';

export function buildSegments(
  durationSeconds: number,
  scenes: readonly SceneChange[],
  frames: readonly SegmentFrame[],
  words: readonly SegmentWord[],
  options: SegmentOptions = {},
): VideoSegment[] {
  const bounds = segmentBounds(durationSeconds, scenes, options.minSegmentSeconds ?? 0.5);
  const ordered = [...words].sort((a, b) => a.start - b.start);
  return bounds.map((b, i) => {
    const last = i === bounds.length - 1;
    const inside = (t: number): boolean => t >= b.start && (t < b.end || (last && t <= b.end));
    const fs = frames.filter((f) => inside(f.time));
    const objects: Record<string, number> = {};
    let faces = 0;
    const text: string[] = [];
    for (const f of fs) {
      const counts = new Map<string, number>();
      for (const o of f.objects) counts.set(o, (counts.get(o) ?? 0) + 1);
      for (const [label, n] of counts) objects[label] = Math.max(objects[label] ?? 0, n);
      faces = Math.max(faces, f.faces);
      for (const line of f.text) {
        const t = line === undefined ? REDACTED : line.trim();
        if (t !== '' && !text.includes(t)) text.push(t);
      }
    }
    // A run of redacted words reads as one redaction (an address is spoken as several words).
    const said: string[] = [];
    for (const w of ordered.filter((x) => inside((x.start + x.end) / 2))) {
      if (w.word !== undefined) said.push(w.word);
      else if (said.at(-1) !== REDACTED) said.push(REDACTED);
    }
    const speech = said.length > 0 ? said.join(' ') : undefined;
    const label = `${formatTime(b.start)}–${formatTime(Math.ceil(b.end))}`;
    const parts: string[] = [];
    const seen = Object.entries(objects)
      .sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]))
      .map(([l, n]) => countPhrase(l, n));
    // Faces are people too: mention them only when the detector saw no person.
    if (faces > 0 && objects['person'] === undefined) seen.push(countPhrase('face', faces));
    if (seen.length > 0) parts.push(seen.join(', '));
    if (text.length > 0) parts.push(`text: ${text.map((t) => `"${t}"`).join(', ')}`);
    if (speech !== undefined) parts.push(`speech: ${speech}`);
    if (fs.length === 0) parts.push('no sampled frame');
    return {
      start: b.start,
      end: b.end,
      label,
      frames: fs.map((f) => f.index),
      objects,
      faces,
      text,
      ...(speech === undefined ? {} : { speech }),
      summary: `${label}: ${parts.length > 0 ? parts.join('; ') : 'nothing detected'}`,
    };
  });
}
