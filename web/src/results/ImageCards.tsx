/** Cards for the image analyzers' results that are not boxes: quality, colours, NSFW classes, OCR text. */
import type { ReactElement, ReactNode } from 'react';
import { ScoreList } from '../components/ScoreBar';
import { formatNumber, formatPercent } from '../lib/format';
import { labelScores } from './extract';

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export const IMAGE_CARD_STEPS = new Set(['quality', 'colours', 'nsfw', 'ocr', 'objects', 'faces']);

export function ImageCards({ results }: { readonly results: Rec }) {
  const cards: ReactElement[] = [];
  const { quality, colours, nsfw, ocr } = results;
  if (isRec(quality)) {
    const rows: Array<[string, string]> = [
      ['Format', String(quality.format ?? '—')],
      ['Size', `${formatNumber(num(quality.width))} × ${formatNumber(num(quality.height))} px`],
      ['Brightness', formatPercent(num(quality.brightness))],
      ['Contrast', formatNumber(num(quality.contrast), 3)],
      ['Sharpness', formatNumber(num(quality.sharpness), 3)],
      ['Blurry', quality.blurry === true ? 'yes' : quality.blurry === false ? 'no' : '—'],
      ['Transparency', quality.hasAlpha === true ? 'yes' : 'no'],
    ];
    cards.push(
      <Card key="quality" title="Quality">
        <dl className="props">
          {rows.map(([k, v]) => (
            <div key={k} className="contents">
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
      </Card>,
    );
  }
  if (isRec(colours) && Array.isArray(colours.colours)) {
    const list = colours.colours.filter(isRec);
    cards.push(
      <Card key="colours" title="Dominant colours">
        <ul className="swatches">
          {list.map((c, i) => (
            <li key={i}>
              <span className="swatch" style={{ background: String(c.hex) }} aria-hidden="true" />
              <code>{String(c.hex)}</code> <span className="muted">{formatPercent(num(c.share))}</span>
            </li>
          ))}
        </ul>
      </Card>,
    );
  }
  if (isRec(nsfw)) {
    const scores = labelScores(nsfw);
    cards.push(
      <Card key="nsfw" title="Content classes (NSFW)">
        {typeof nsfw.top === 'string' && (
          <p>
            Most likely: <strong>{nsfw.top}</strong>
            {num(nsfw.sexual) !== undefined && (
              <span className="muted"> (sexual content {formatPercent(num(nsfw.sexual))})</span>
            )}
          </p>
        )}
        <ScoreList
          scores={scores.map((s) => ({ label: s.label, value: s.score }))}
          label="Content class probabilities"
        />
      </Card>,
    );
  }
  if (isRec(ocr)) {
    const text = typeof ocr.text === 'string' ? ocr.text.trim() : '';
    cards.push(
      <Card key="ocr" title="Text in the image (OCR)">
        {text === '' ? (
          <p>No text was recognised.</p>
        ) : (
          <>
            <p className="small muted">
              Confidence{' '}
              {formatPercent(
                num(ocr.confidence) !== undefined && num(ocr.confidence)! > 1
                  ? num(ocr.confidence)! / 100
                  : num(ocr.confidence),
              )}
            </p>
            <pre>{text}</pre>
          </>
        )}
      </Card>,
    );
  }
  if (cards.length === 0) return null;
  return <div className="grid">{cards}</div>;
}

function Card({ title, children }: { readonly title: string; readonly children: ReactNode }) {
  return (
    <section className="card">
      <h3>{title}</h3>
      {children}
    </section>
  );
}
