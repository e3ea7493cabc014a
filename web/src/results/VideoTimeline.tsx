/**
 * A video's timeline: one band per scene segment (scaled to the clip's duration), markers at the
 * scene cuts and ticks at the sampled frames, then the segments as a list a person can read and a
 * keyboard can use: each starts the player at its segment and says what was seen, read on
 * screen and said. The drawing is decoration (aria-hidden); the list carries the information.
 */
import { formatClock, formatSeconds } from '../lib/format';
import type { VideoTimeline as Timeline } from './extract';

const pct = (t: number, duration: number): string =>
  `${duration > 0 ? Math.min(100, Math.max(0, (t / duration) * 100)) : 0}%`;

export function VideoTimeline({
  timeline,
  onSeek,
}: {
  readonly timeline: Timeline;
  readonly onSeek: (seconds: number) => void;
}) {
  const { durationSeconds: d, cuts, frames, segments } = timeline;
  return (
    <div className="video-timeline">
      <h3>Timeline</h3>
      <p className="small muted">
        {formatSeconds(d)} · {segments.length} segment{segments.length === 1 ? '' : 's'} · {cuts.length} scene
        cut{cuts.length === 1 ? '' : 's'}
        {cuts.length > 0 ? ` (at ${cuts.map((c) => formatClock(c)).join(', ')})` : ''} · {frames.length}{' '}
        sampled frame{frames.length === 1 ? '' : 's'}
        {timeline.withheld ? ' · quotes withheld by the policy' : ''}
      </p>
      <div className="timeline-track" aria-hidden="true" data-testid="timeline-track">
        {segments.map((s, i) => (
          <span
            key={`s${i}`}
            className={`timeline-segment tone-${i % 2}`}
            style={{ left: pct(s.start, d), width: `calc(${pct(s.end - s.start, d)} - 2px)` }}
          >
            {s.label}
          </span>
        ))}
        {cuts.map((c, i) => (
          <span key={`c${i}`} className="timeline-cut" style={{ left: pct(c, d) }} />
        ))}
        {frames.map((f, i) => (
          <span key={`f${i}`} className="timeline-frame" style={{ left: pct(f, d) }} />
        ))}
      </div>
      {segments.length > 0 && (
        <ol className="timeline-segments">
          {segments.map((s, i) => (
            <li key={i}>
              <button
                type="button"
                className="link"
                onClick={() => onSeek(s.start)}
                aria-label={`Play from ${formatClock(s.start)} (segment ${s.label})`}
              >
                {s.label}
              </button>
              <dl className="small">
                {s.objects.length > 0 && (
                  <>
                    <dt>Seen</dt>
                    <dd>
                      {s.objects.map((o) => (o.count > 1 ? `${o.count} × ${o.label}` : o.label)).join(', ')}
                    </dd>
                  </>
                )}
                {s.faces > 0 && (
                  <>
                    <dt>Faces</dt>
                    <dd>{s.faces}</dd>
                  </>
                )}
                {s.text.length > 0 && (
                  <>
                    <dt>On screen</dt>
                    <dd>{s.text.map((t) => `“${t}”`).join(', ')}</dd>
                  </>
                )}
                {s.speech !== undefined && (
                  <>
                    <dt>Said</dt>
                    <dd>“{s.speech}”</dd>
                  </>
                )}
                {s.objects.length === 0 && s.faces === 0 && s.text.length === 0 && s.speech === undefined && (
                  <>
                    <dt>Summary</dt>
                    <dd>{s.summary}</dd>
                  </>
                )}
              </dl>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
