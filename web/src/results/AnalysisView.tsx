/** One analysis, shown as a person wants it: decision first, then what was found, then timings. */
import { useMemo } from 'react';
import type { AnalysisResponse } from '../api/analyze';
import { ScoreList } from '../components/ScoreBar';
import { normalizeForSpans } from '../lib/spans';
import { boxesOf, labelScores, segmentsOf, textMarks, transcriptOf, videoTimelineOf } from './extract';
import { HighlightedText, RedactedText } from './HighlightedText';
import { IMAGE_CARD_STEPS, ImageCards } from './ImageCards';
import { ImageView } from './ImageView';
import { MediaView } from './MediaView';
import { Stages } from './Stages';
import { TEXT_CARD_STEPS, TextCards } from './TextCards';
import { Verdict } from './Verdict';

export type AnalysedInput =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'file'; readonly name: string; readonly url: string };

export function AnalysisView({
  response,
  input,
}: {
  readonly response: AnalysisResponse;
  readonly input: AnalysedInput;
}) {
  const { results } = response;
  const marks = useMemo(() => textMarks(results), [results]);
  const transcript = useMemo(() => transcriptOf(results), [results]);
  const segments = useMemo(() => segmentsOf(results), [results]);
  const boxes = useMemo(() => boxesOf(results), [results]);
  const timeline = useMemo(
    () => (response.modality === 'video' ? videoTimelineOf(results) : undefined),
    [response.modality, results],
  );
  const shown = new Set<string>(
    response.modality === 'text' ? TEXT_CARD_STEPS : response.modality === 'image' ? IMAGE_CARD_STEPS : [],
  );
  if (transcript) shown.add(transcript.step);
  for (const s of segments) shown.add(s.step);
  // The timeline draws these (the raw JSON stays in "The JSON answer").
  if (timeline) for (const step of ['scenes', 'segments', 'frames']) shown.add(step);
  const others = Object.entries(results).filter(([step]) => !shown.has(step));
  const skipped = Object.entries(response.skipped ?? {});

  return (
    <div className="stack" aria-label="Analysis result">
      <p className="small muted">
        Analysed as <strong>{response.modality}</strong> ({response.mime}) by pipeline{' '}
        <code>{response.pipeline}</code>.
      </p>
      <Verdict safety={response.safety} {...(response.skipped ? { skipped: response.skipped } : {})} />

      {input.kind === 'text' && response.modality === 'text' && (
        <section className="card" aria-labelledby="text-heading">
          <h2 id="text-heading">Findings in the text</h2>
          <HighlightedText
            text={normalizeForSpans(input.text)}
            marks={marks}
            label="Your text, with findings highlighted"
          />
          {response.text !== undefined && (
            <>
              <h3>What the policy lets through</h3>
              <RedactedText text={response.text} />
            </>
          )}
        </section>
      )}
      {input.kind === 'file' && response.modality === 'image' && (
        <ImageView src={input.url} fileName={input.name} boxes={boxes} />
      )}
      {input.kind === 'file' && (response.modality === 'audio' || response.modality === 'video') && (
        <MediaView
          kind={response.modality}
          src={input.url}
          fileName={input.name}
          segments={segments}
          {...(transcript ? { transcript } : {})}
          {...(timeline ? { timeline } : {})}
        />
      )}
      {input.kind === 'file' && transcript && response.text !== undefined && (
        <section className="card">
          <h2>Transcript as the policy lets it through</h2>
          <RedactedText text={response.text} />
        </section>
      )}

      {response.modality === 'text' && <TextCards results={results} />}
      {response.modality === 'image' && <ImageCards results={results} />}
      {others.length > 0 && (
        <div className="grid">
          {others.map(([step, value]) => {
            const scores = labelScores(value);
            return (
              <section className="card" key={step}>
                <h3>{step}</h3>
                {scores.length > 0 ? (
                  <ScoreList
                    scores={scores.slice(0, 10).map((s) => ({ label: s.label, value: s.score }))}
                    label={`${step} scores`}
                  />
                ) : (
                  // A long result scrolls inside its box: focusable, so keyboards can scroll it too.
                  <pre tabIndex={0} role="region" aria-label={`${step} result`}>
                    {JSON.stringify(value, null, 2)}
                  </pre>
                )}
              </section>
            );
          })}
        </div>
      )}
      {skipped.length > 0 && (
        <section className="card">
          <h2>Not covered</h2>
          <ul>
            {skipped.map(([step, why]) => (
              <li key={step}>
                <strong>{step}</strong>:{' '}
                {typeof why === 'object' && why !== null && 'reason' in why
                  ? String((why as { reason: unknown }).reason)
                  : JSON.stringify(why)}
              </li>
            ))}
          </ul>
        </section>
      )}
      <Stages stages={response.stages} totalMs={response.durationMs} />
      <details className="card">
        <summary>The JSON answer</summary>
        <pre>{JSON.stringify(response, null, 2)}</pre>
      </details>
    </div>
  );
}
