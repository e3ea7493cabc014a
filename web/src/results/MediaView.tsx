/**
 * Audio and video results: the player (with captions built from the transcript), the transcript
 * as words that seek the player when activated, following playback, and timed segments.
 */
import { useEffect, useRef, useState } from 'react';
import { formatClock, formatPercent } from '../lib/format';
import { captionsVtt, type Transcript, type VideoTimeline as Timeline } from './extract';
import { VideoTimeline } from './VideoTimeline';

export interface MediaViewProps {
  readonly kind: 'audio' | 'video';
  /** blob: URL of the file the person picked. */
  readonly src: string;
  readonly fileName: string;
  readonly transcript?: Transcript;
  readonly segments: ReadonlyArray<{ step: string; start: number; end: number; probability?: number }>;
  /** A video's scenes, cuts and sampled frames. */
  readonly timeline?: Timeline;
}

/** Index of the word being spoken at `time`, or -1. */
export function wordAt(words: Transcript['words'], time: number): number {
  let lo = 0;
  let hi = words.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const w = words[mid]!;
    if (time < w.start) hi = mid - 1;
    else if (time >= w.end && !(w.end === w.start && time === w.start)) lo = mid + 1;
    else return mid;
  }
  return -1;
}

export function MediaView({ kind, src, fileName, transcript, segments, timeline }: MediaViewProps) {
  const media = useRef<HTMLMediaElement | null>(null);
  const [time, setTime] = useState(0);
  // The captions' blob: URL is made and revoked by the same effect, so no render can ever point
  // the <track> at a URL already revoked.
  const [captions, setCaptions] = useState<string | undefined>();
  useEffect(() => {
    if (!transcript || transcript.words.length === 0) {
      setCaptions(undefined);
      return;
    }
    const url = URL.createObjectURL(new Blob([captionsVtt(transcript.words)], { type: 'text/vtt' }));
    setCaptions(url);
    return () => URL.revokeObjectURL(url);
  }, [transcript]);

  const seek = (seconds: number) => {
    const el = media.current;
    if (!el) return;
    el.currentTime = seconds;
    setTime(seconds);
    // Playback may be refused (autoplay policy, no decoder); the position is set either way.
    try {
      void Promise.resolve(el.play()).catch(() => undefined);
    } catch {
      // play() unsupported here
    }
  };
  const current = transcript ? wordAt(transcript.words, time) : -1;
  const track = captions ? (
    <track
      kind="captions"
      src={captions}
      srcLang={transcript?.language?.split('-')[0] ?? 'en'}
      label="Transcript"
      default
    />
  ) : null;
  const common = {
    src,
    controls: true,
    preload: 'metadata' as const,
    onTimeUpdate: (e: { currentTarget: HTMLMediaElement }) => setTime(e.currentTarget.currentTime),
    'aria-label': `${kind === 'video' ? 'Video' : 'Audio'}: ${fileName}`,
  };

  return (
    <section className="card" aria-labelledby="media-heading">
      <h2 id="media-heading">{kind === 'video' ? 'Video' : 'Audio'} and transcript</h2>
      {kind === 'video' ? (
        <figure className="media-figure">
          <video ref={(el) => void (media.current = el)} {...common}>
            {track}
          </video>
        </figure>
      ) : (
        <audio ref={(el) => void (media.current = el)} {...common}>
          {track}
        </audio>
      )}
      {timeline && <VideoTimeline timeline={timeline} onSeek={seek} />}
      {transcript ? (
        <>
          <h3>Transcript</h3>
          {transcript.words.length === 0 ? (
            <p>No speech was recognised.</p>
          ) : (
            <>
              <p className="small muted">
                Select a word to play from there. Underlined words were recognised with low confidence.
              </p>
              <p className="transcript">
                {transcript.words.map((w, i) => (
                  <span key={i}>
                    <button
                      type="button"
                      className={w.confidence !== undefined && w.confidence < 0.5 ? 'low' : undefined}
                      aria-current={i === current ? 'true' : undefined}
                      aria-label={`${w.word}, at ${formatClock(w.start)}${w.confidence !== undefined ? `, confidence ${formatPercent(w.confidence)}` : ''}`}
                      onClick={() => seek(w.start)}
                    >
                      {w.word}
                    </button>{' '}
                  </span>
                ))}
              </p>
            </>
          )}
        </>
      ) : (
        <p className="muted">This pipeline produced no transcript.</p>
      )}
      {segments.length > 0 && (
        <>
          <h3>Speech segments</h3>
          <ul className="small">
            {segments.map((s, i) => (
              <li key={i}>
                <button type="button" className="link" onClick={() => seek(s.start)}>
                  {formatClock(s.start)} – {formatClock(s.end)}
                </button>{' '}
                <span className="muted">
                  {s.step}
                  {s.probability !== undefined ? `, ${formatPercent(s.probability)} speech` : ''}
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
