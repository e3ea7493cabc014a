/**
 * Reading the analyzers' results (AnalysisResponse.results, keyed by step id) into what the page
 * draws: highlight marks over the text, label scores, boxes on an image, a timed transcript.
 * Shapes follow the OpenAPI description of /v1/analyze; anything unexpected is ignored here and
 * still visible in the JSON view.
 */
import type { Action, Reason } from '../api/analyze';
import { formatPercent } from '../lib/format';
import type { Mark } from '../lib/spans';

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function span(v: unknown): { start: number; end: number } | undefined {
  if (!isRec(v)) return undefined;
  const start = num(v.start);
  const end = num(v.end);
  return start !== undefined && end !== undefined && end > start ? { start, end } : undefined;
}

/** Highlight marks over the analysed text: PII, profanity, prompt-injection signals, entities. */
export function textMarks(results: Rec): Mark[] {
  const marks: Mark[] = [];
  for (const [step, value] of Object.entries(results)) {
    if (step === 'pii' && Array.isArray(value)) {
      for (const f of value) {
        const s = span(f);
        if (s && isRec(f)) marks.push({ ...s, kind: 'pii', label: str(f.entity) ?? 'PII' });
      }
    } else if (step === 'entities' && Array.isArray(value)) {
      // PII entities are marked by the pii step already.
      for (const e of value) {
        const s = span(e);
        if (s && isRec(e) && e.pii !== true)
          marks.push({ ...s, kind: 'entity', label: str(e.type) ?? 'entity' });
      }
    } else if (step === 'profanity' && isRec(value) && Array.isArray(value.matches)) {
      for (const m of value.matches) {
        const s = span(m);
        if (s) marks.push({ ...s, kind: 'profanity', label: 'profanity' });
      }
    } else if (step === 'injection' && isRec(value) && Array.isArray(value.signals)) {
      for (const sig of value.signals) {
        const s = span(sig);
        if (s && isRec(sig))
          marks.push({ ...s, kind: 'injection', label: str(sig.id) ?? 'prompt injection' });
      }
    }
  }
  return marks;
}

export interface LabelScore {
  readonly label: string;
  readonly score: number;
}

/**
 * Label/score lists anywhere in one result: `[{label, score}]`, `{labels: [...]}`,
 * `{categories: [{category, score}]}`, `{predictions: [{className, probability}]}`; sorted high first.
 */
export function labelScores(value: unknown): LabelScore[] {
  const list = Array.isArray(value)
    ? value
    : isRec(value)
      ? ((value.labels ?? value.categories ?? value.predictions ?? value.classes) as unknown)
      : undefined;
  // `{classes: {Drawing: 0.88, Neutral: 0.09}}`: a map of label → score.
  if (isRec(list)) {
    return Object.entries(list)
      .filter((e): e is [string, number] => num(e[1]) !== undefined)
      .map(([label, score]) => ({ label, score }))
      .sort((a, b) => b.score - a.score);
  }
  if (!Array.isArray(list)) return [];
  const out: LabelScore[] = [];
  for (const item of list) {
    if (!isRec(item) || item.box !== undefined || item.bbox !== undefined) continue;
    const label = str(item.label) ?? str(item.category) ?? str(item.className) ?? str(item.name);
    const score = num(item.score) ?? num(item.probability) ?? num(item.confidence);
    if (label !== undefined && score !== undefined) out.push({ label, score });
  }
  return out.sort((a, b) => b.score - a.score);
}

export interface Box {
  readonly label: string;
  readonly score?: number;
  /** Pixels of the analysed image, origin top left (or of `space`, when given). */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** The raster the coordinates refer to when it is not the image itself (OCR's `readAt`). */
  readonly space?: { readonly width: number; readonly height: number };
  /** The step that found it. */
  readonly step: string;
}

/** A face's label: "face", with the estimated age, gender and expression when given. */
function faceLabel(item: Rec): string {
  const parts = ['face'];
  if (num(item.age) !== undefined) parts.push(`~${Math.round(num(item.age)!)} y`);
  if (str(item.gender)) parts.push(str(item.gender)!);
  if (str(item.expression)) parts.push(str(item.expression)!);
  return parts.join(', ');
}

function boxOf(item: Rec): Pick<Box, 'x' | 'y' | 'width' | 'height'> | undefined {
  const b = item.box ?? item.bbox ?? item.boundingBox;
  if (Array.isArray(b) && b.length === 4 && b.every((n) => typeof n === 'number')) {
    const [x, y, width, height] = b as number[];
    return { x: x!, y: y!, width: width!, height: height! };
  }
  if (isRec(b)) {
    const x = num(b.x) ?? num(b.left);
    const y = num(b.y) ?? num(b.top);
    const width =
      num(b.width) ?? (num(b.right) !== undefined && x !== undefined ? num(b.right)! - x : undefined);
    const height =
      num(b.height) ?? (num(b.bottom) !== undefined && y !== undefined ? num(b.bottom)! - y : undefined);
    if (x !== undefined && y !== undefined && width !== undefined && height !== undefined)
      return { x, y, width, height };
  }
  return undefined;
}

/**
 * Every boxed detection in the results, one level deep: `[...]` or `{objects|faces|lines: [...]}`.
 * OCR lines carry their raster size as `readAt`; those boxes keep it as `space`.
 */
export function boxesOf(results: Rec): Box[] {
  const out: Box[] = [];
  const visit = (list: unknown, step: string, space: Box['space']) => {
    if (!Array.isArray(list)) return;
    for (const item of list) {
      if (!isRec(item)) continue;
      const geometry = boxOf(item);
      if (!geometry) continue;
      const score = num(item.score) ?? num(item.confidence) ?? num(item.probability);
      const label =
        step === 'faces'
          ? faceLabel(item)
          : (str(item.label) ?? str(item.className) ?? str(item.category) ?? str(item.text) ?? step);
      out.push({
        ...geometry,
        label,
        step,
        ...(score === undefined ? {} : { score }),
        ...(space ? { space } : {}),
      });
    }
  };
  for (const [step, value] of Object.entries(results)) {
    if (Array.isArray(value)) visit(value, step, undefined);
    else if (isRec(value)) {
      const readAt = value.readAt;
      const space =
        isRec(readAt) && num(readAt.width) && num(readAt.height)
          ? { width: num(readAt.width)!, height: num(readAt.height)! }
          : undefined;
      for (const inner of Object.values(value)) visit(inner, step, space);
    }
  }
  return out;
}

export interface Word {
  readonly word: string;
  readonly start: number;
  readonly end: number;
  readonly confidence?: number;
}

export interface Transcript {
  readonly step: string;
  readonly text: string;
  readonly words: readonly Word[];
  readonly language?: string;
}

/** The first result shaped like a transcript: `{text?, words: [{word, start, end}]}`. */
export function transcriptOf(results: Rec): Transcript | undefined {
  for (const [step, outer] of Object.entries(results)) {
    // A video's speech step nests it: `{speech: {transcript: {words}, vad}}`.
    const value = isRec(outer) && isRec(outer.transcript) ? outer.transcript : outer;
    if (!isRec(value) || !Array.isArray(value.words)) continue;
    const words: Word[] = [];
    for (const w of value.words) {
      if (!isRec(w)) continue;
      const start = num(w.start);
      const end = num(w.end);
      const word = str(w.word) ?? str(w.text);
      // A zero-length word (a recogniser's point in time) is kept; an inverted one is not.
      if (start === undefined || end === undefined || end < start || word === undefined) continue;
      const confidence = num(w.confidence);
      words.push({ word, start, end, ...(confidence === undefined ? {} : { confidence }) });
    }
    const language = str(value.language);
    return {
      step,
      text: str(value.text) ?? words.map((w) => w.word).join(' '),
      words,
      ...(language === undefined ? {} : { language }),
    };
  }
  return undefined;
}

/** Timed ranges (voice activity, scenes …): `{segments: [{start, end, …}]}`. */
export function segmentsOf(
  results: Rec,
): Array<{ step: string; start: number; end: number; probability?: number }> {
  const out: Array<{ step: string; start: number; end: number; probability?: number }> = [];
  for (const [step, outer] of Object.entries(results)) {
    // A video's speech step nests its voice activity: `{speech: {vad: {segments}}}`.
    const value = isRec(outer) && isRec(outer.vad) ? outer.vad : outer;
    if (!isRec(value) || !Array.isArray(value.segments)) continue;
    for (const seg of value.segments) {
      const s = span(seg);
      // A video's scene segments (they carry a summary) belong to the timeline, not here.
      if (!s || !isRec(seg) || typeof seg.summary === 'string') continue;
      const probability = num(seg.probability);
      out.push({ step, ...s, ...(probability === undefined ? {} : { probability }) });
    }
  }
  return out;
}

const vttTime = (seconds: number): string => {
  const ms = Math.max(0, Math.round(seconds * 1000));
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms % 1000, 3)}`;
};

/**
 * WebVTT captions from timed words: cues of at most `maxWords` words and `maxSeconds` seconds,
 * broken early at a pause longer than a second, so captions follow the speech.
 */
export function captionsVtt(words: readonly Word[], maxWords = 8, maxSeconds = 4): string {
  const cues: string[] = [];
  let cue: Word[] = [];
  const flush = () => {
    if (cue.length === 0) return;
    const text = cue
      .map((w) => w.word)
      .join(' ')
      .replace(/-->/g, '→');
    cues.push(`${vttTime(cue[0]!.start)} --> ${vttTime(cue[cue.length - 1]!.end)}\n${text}`);
    cue = [];
  };
  for (const w of words) {
    const first = cue[0];
    const last = cue[cue.length - 1];
    if (
      first &&
      last &&
      (cue.length >= maxWords || w.end - first.start > maxSeconds || w.start - last.end > 1)
    )
      flush();
    cue.push(w);
  }
  flush();
  return `WEBVTT\n\n${cues.join('\n\n')}\n`;
}

const ACTION_VERB: Record<Action, string> = {
  allow: 'Allowed',
  flag: 'Flagged',
  redact: 'Redacted',
  review: 'Sent to review',
  block: 'Blocked',
};

export const actionLabel = (action: Action): string => ACTION_VERB[action] ?? action;

/** One sentence of the statement of reasons. */
export function describeReason(reason: Reason): string {
  const where = reason.direction === 'output' ? 'the output' : 'the input';
  if (reason.type === 'analyzer-failure') {
    // A step skipped for a missing dependency or unavailable did not fail: it never ran.
    const notRun = /^(skipped|unavailable)\b/.test(reason.error ?? '');
    return (
      `${actionLabel(reason.action)} on ${where}: the ${reason.analyzer ?? 'safety'} analyzer ` +
      `${reason.timedOut ? 'timed out' : notRun ? 'did not run' : 'failed'}${reason.error ? ` (${reason.error})` : ''}` +
      `${reason.escalated ? ', and the policy fails closed' : ''}.`
    );
  }
  const what = reason.entity
    ? `${reason.category ?? 'finding'} (${reason.entity})`
    : (reason.category ?? 'a finding');
  const score =
    reason.score !== undefined
      ? ` scored ${formatPercent(reason.score)}${reason.threshold !== undefined ? `, at or above the threshold of ${formatPercent(reason.threshold)}` : ''}`
      : '';
  const by = reason.source ? `, by ${reason.source.name} ${reason.source.version}` : '';
  return `${actionLabel(reason.action)} on ${where}: ${what}${score} (rule ${reason.ruleId ?? '?'}${by}).`;
}

/** One scene segment of a video's timeline (results.segments of the video pipeline). */
export interface TimelineSegment {
  readonly start: number;
  readonly end: number;
  /** "0:00–0:02". */
  readonly label: string;
  readonly summary: string;
  /** Object label → most seen in one frame. */
  readonly objects: ReadonlyArray<{ readonly label: string; readonly count: number }>;
  readonly faces: number;
  /** On-screen text lines ("<REDACTED>" where the policy redacted). */
  readonly text: readonly string[];
  readonly speech?: string;
}

export interface VideoTimeline {
  readonly durationSeconds: number;
  /** Scene cuts, seconds. */
  readonly cuts: readonly number[];
  /** Sampled frames, seconds. */
  readonly frames: readonly number[];
  readonly segments: readonly TimelineSegment[];
  /** The policy withheld quotes (text and speech) from the segments. */
  readonly withheld: boolean;
}

/**
 * A video's timeline from the video pipeline's steps: `scenes` (cuts, duration), `frames`
 * (sampled times) and `segments` (per-scene summaries). Undefined when none is present.
 */
export function videoTimelineOf(results: Rec): VideoTimeline | undefined {
  const scenes = isRec(results.scenes) ? results.scenes : undefined;
  const segs =
    isRec(results.segments) && Array.isArray(results.segments.segments) ? results.segments : undefined;
  if (scenes === undefined && segs === undefined) return undefined;
  const cuts = (Array.isArray(scenes?.cuts) ? scenes.cuts : [])
    .map((c) => (isRec(c) ? num(c.time) : num(c)))
    .filter((t): t is number => t !== undefined);
  const framesRec = isRec(results.frames) ? results.frames : undefined;
  const frames = (Array.isArray(framesRec?.frames) ? framesRec.frames : [])
    .map((f) => (isRec(f) ? num(f.time) : undefined))
    .filter((t): t is number => t !== undefined);
  const segments: TimelineSegment[] = [];
  for (const seg of (segs?.segments as unknown[] | undefined) ?? []) {
    const s = span(seg);
    if (!s || !isRec(seg)) continue;
    const objects = isRec(seg.objects)
      ? Object.entries(seg.objects)
          .filter((e): e is [string, number] => num(e[1]) !== undefined)
          .map(([label, count]) => ({ label, count }))
      : [];
    const speech = str(seg.speech);
    segments.push({
      ...s,
      label: str(seg.label) ?? '',
      summary: str(seg.summary) ?? '',
      objects,
      faces: num(seg.faces) ?? 0,
      text: Array.isArray(seg.text) ? seg.text.filter((t): t is string => typeof t === 'string') : [],
      ...(speech === undefined || speech === '' ? {} : { speech }),
    });
  }
  const duration =
    num(scenes?.durationSeconds) ?? Math.max(0, ...segments.map((x) => x.end), ...frames, ...cuts);
  return { durationSeconds: duration, cuts, frames, segments, withheld: segs?.withheld === true };
}
