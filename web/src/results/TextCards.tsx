/** One card per text analyzer result, in words and bars. */
import type { ReactElement, ReactNode } from 'react';
import { ScoreList, type Score } from '../components/ScoreBar';
import { formatPercent } from '../lib/format';
import { ScrollTable } from '../components/ScrollTable';

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

const LANGUAGE_NAMES =
  typeof Intl !== 'undefined' && 'DisplayNames' in Intl
    ? new Intl.DisplayNames(['en'], { type: 'language' })
    : undefined;
const languageName = (code: string): string => {
  try {
    return LANGUAGE_NAMES?.of(code) ?? code;
  } catch {
    return code;
  }
};

/** Steps this file shows; others go to the generic view. */
export const TEXT_CARD_STEPS = new Set([
  'language',
  'sentiment',
  'spam',
  'injection',
  'profanity',
  'moderation',
  'entities',
  'pii',
]);

export function TextCards({ results }: { readonly results: Rec }) {
  const cards: ReactElement[] = [];
  const { language, sentiment, spam, injection, profanity, moderation, entities, pii } = results;

  if (isRec(language) && typeof language.language === 'string') {
    const list = Array.isArray(language.languages) ? language.languages.filter(isRec) : [];
    const scores: Score[] = (list.length > 0 ? list : [language]).map((l) => ({
      label: `${languageName(String(l.language))} (${String(l.language)})`,
      value: num(l.probability) ?? 0,
    }));
    cards.push(
      <Card key="language" title="Language">
        <p>
          {languageName(language.language)}
          {language.isReliable === false && (
            <span className="muted"> — not reliable on this little text</span>
          )}
        </p>
        <ScoreList scores={scores} label="Language probabilities" />
      </Card>,
    );
  }
  if (isRec(sentiment) && typeof sentiment.label === 'string') {
    const score = num(sentiment.score) ?? 0;
    cards.push(
      <Card key="sentiment" title="Sentiment">
        <p>
          <strong>{sentiment.label}</strong>{' '}
          <span className="muted">(score {score.toFixed(2)} on −1 … +1)</span>
        </p>
        <ScoreList scores={[{ label: 'positive ← → negative', value: (1 - score) / 2 }]} label="Sentiment" />
      </Card>,
    );
  }
  if (isRec(spam) && num(spam.probability) !== undefined) {
    const p = num(spam.probability)!;
    const threshold = num(spam.threshold);
    cards.push(
      <Card key="spam" title="Spam">
        <p>
          <strong>{String(spam.label ?? (p >= (threshold ?? 0.5) ? 'spam' : 'ham'))}</strong>{' '}
          <span className="muted small">
            {String(spam.model ?? '')} {spam.modelVersion ? `v${String(spam.modelVersion)}` : ''}
          </span>
        </p>
        <ScoreList
          scores={[
            {
              label: 'spam probability',
              value: p,
              ...(threshold === undefined ? {} : { threshold }),
              emphasis: p >= (threshold ?? 0.5),
            },
          ]}
          label="Spam probability"
        />
      </Card>,
    );
  }
  if (isRec(injection) && num(injection.score) !== undefined) {
    const signals = Array.isArray(injection.signals) ? injection.signals.filter(isRec) : [];
    cards.push(
      <Card key="injection" title="Prompt injection">
        <ScoreList
          scores={[
            {
              label: 'injection score',
              value: num(injection.score)!,
              emphasis: num(injection.score)! >= 0.5,
            },
          ]}
          label="Prompt injection score"
        />
        {signals.length > 0 ? (
          <ul className="small">
            {signals.map((s, i) => (
              <li key={i}>
                {String(s.id)} <span className="muted">(weight {formatPercent(num(s.weight))})</span>
              </li>
            ))}
          </ul>
        ) : (
          <p className="small muted">No injection signal found.</p>
        )}
      </Card>,
    );
  }
  if (isRec(profanity) && typeof profanity.profane === 'boolean') {
    const matches = Array.isArray(profanity.matches) ? profanity.matches.filter(isRec) : [];
    cards.push(
      <Card key="profanity" title="Profanity">
        <p>
          {profanity.profane ? `${matches.length} match${matches.length === 1 ? '' : 'es'}` : 'None found.'}
        </p>
        {typeof profanity.censored === 'string' && profanity.profane && (
          <p className="small">Censored: {profanity.censored}</p>
        )}
      </Card>,
    );
  }
  if (isRec(moderation) && Array.isArray(moderation.categories)) {
    const cats = moderation.categories
      .filter(isRec)
      .map((c) => ({ label: String(c.category), value: num(c.score) ?? 0 }));
    cards.push(
      <Card key="moderation" title="Moderation categories">
        {cats.length === 0 ? (
          <p>No category matched.</p>
        ) : (
          <ScoreList scores={cats} label="Moderation category scores" />
        )}
      </Card>,
    );
  }
  const findings = Array.isArray(pii) ? pii.filter(isRec) : [];
  const ents = Array.isArray(entities) ? entities.filter(isRec) : [];
  if (Array.isArray(pii) || Array.isArray(entities)) {
    cards.push(
      <Card key="entities" title="Entities and personal data">
        {findings.length + ents.length === 0 ? (
          <p>None found.</p>
        ) : (
          <ScrollTable label="Entities and personal data">
            <table>
              <thead>
                <tr>
                  <th scope="col">Type</th>
                  <th scope="col">Text</th>
                  <th scope="col">Found by</th>
                </tr>
              </thead>
              <tbody>
                {findings.map((f, i) => (
                  <tr key={`p${i}`}>
                    <td>
                      {String(f.entity)} <span className="badge flag">PII</span>
                    </td>
                    <td>
                      {f.redacted === true ? (
                        <span className="muted">withheld by the policy</span>
                      ) : (
                        String(f.text ?? '')
                      )}
                    </td>
                    <td className="small">{String(f.recognizer ?? '')}</td>
                  </tr>
                ))}
                {ents
                  .filter((e) => e.pii !== true)
                  .map((e, i) => (
                    <tr key={`e${i}`}>
                      <td>{String(e.type)}</td>
                      <td>
                        {e.redacted === true ? (
                          <span className="muted">withheld by the policy</span>
                        ) : (
                          String(e.text ?? '')
                        )}
                      </td>
                      <td className="small">{Array.isArray(e.sources) ? e.sources.join(', ') : ''}</td>
                    </tr>
                  ))}
              </tbody>
            </table>
          </ScrollTable>
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
