/** The analysed text with findings marked; each mark also says in words what it is. */
import { useMemo } from 'react';
import { segmentText, type Mark } from '../lib/spans';

const KIND_LABEL: Record<string, string> = {
  pii: 'personal data',
  profanity: 'profanity',
  injection: 'prompt injection',
  entity: 'entity',
};

/** The most important mark decides the colour of a piece covered by several. */
const PRIORITY = ['injection', 'pii', 'profanity', 'entity'];

export function HighlightedText({
  text,
  marks,
  label,
}: {
  readonly text: string;
  readonly marks: readonly Mark[];
  readonly label: string;
}) {
  const segments = useMemo(() => segmentText(text, marks), [text, marks]);
  const kinds = [...new Set(marks.map((m) => m.kind))].sort(
    (a, b) => PRIORITY.indexOf(a) - PRIORITY.indexOf(b),
  );
  return (
    <figure className="stack flush">
      <figcaption className="sr-only">{label}</figcaption>
      <p className="analysed-text">
        {segments.map((seg) => {
          if (seg.marks.length === 0) return <span key={seg.start}>{seg.text}</span>;
          const top = [...seg.marks].sort((a, b) => PRIORITY.indexOf(a.kind) - PRIORITY.indexOf(b.kind))[0]!;
          const description = [
            ...new Set(seg.marks.map((m) => `${KIND_LABEL[m.kind] ?? m.kind}: ${m.label}`)),
          ].join('; ');
          return (
            <mark key={seg.start} className={top.kind} title={description}>
              {seg.text}
              <span className="sr-only"> ({description})</span>
            </mark>
          );
        })}
      </p>
      {kinds.length > 0 && (
        <ul className="legend" aria-label="Highlight colours">
          {kinds.map((k) => (
            <li key={k}>
              <mark className={k}>{KIND_LABEL[k] ?? k}</mark>
            </li>
          ))}
        </ul>
      )}
    </figure>
  );
}

/** The policy's redacted text, with the placeholders (<EMAIL_ADDRESS> …) marked. */
export function RedactedText({ text }: { readonly text: string }) {
  const parts = text.split(/(<[A-Z][A-Z0-9_]*>)/g);
  return (
    <p className="analysed-text">
      {parts.map((p, i) =>
        /^<[A-Z][A-Z0-9_]*>$/.test(p) ? (
          <mark key={i} className="redaction">
            {p}
            <span className="sr-only"> (redacted)</span>
          </mark>
        ) : (
          <span key={i}>{p}</span>
        ),
      )}
    </p>
  );
}
