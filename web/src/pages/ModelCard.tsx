/**
 * One registered version's model card (GET …/versions/{version}/card), shown section by section
 * from its JSON: intended use, data, metrics, fairness slices (flagged or not), limitations and
 * safety evaluations. "not recorded" stays visible as such; the Markdown form is a download link.
 */
import { useId } from 'react';
import { getModelCard, modelCardMarkdownUrl, NOT_RECORDED, type ModelCard } from '../api/modelCard';
import { Badge } from '../components/Badge';
import { ScrollTable } from '../components/ScrollTable';
import { ErrorState, Loading } from '../components/States';
import { useAsync } from '../components/useAsync';
import { formatNumber } from '../lib/format';

function Missing({ what = NOT_RECORDED }: { readonly what?: string }) {
  return <em className="muted">{what}</em>;
}

const val = (v: string) => (v === NOT_RECORDED || v === 'unknown' ? <Missing what={v} /> : v);
const num = (v: number | null) => (v === null ? <Missing what="undefined" /> : formatNumber(v, 4));
const json = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

function NumberTable({
  caption,
  values,
  keyLabel,
}: {
  readonly caption: string;
  readonly values: Readonly<Record<string, number>>;
  readonly keyLabel: string;
}) {
  const entries = Object.entries(values);
  if (entries.length === 0)
    return (
      <p>
        {caption}: <Missing />
      </p>
    );
  return (
    <ScrollTable label={caption}>
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{keyLabel}</th>
            <th scope="col" className="num">
              Value
            </th>
          </tr>
        </thead>
        <tbody>
          {entries.map(([k, v]) => (
            <tr key={k}>
              <th scope="row" className="mono">
                {k}
              </th>
              <td className="num">{formatNumber(v, 4)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollTable>
  );
}

function ObjectList({ value }: { readonly value: Readonly<Record<string, unknown>> }) {
  return (
    <dl className="small">
      {Object.entries(value).map(([k, v]) => (
        <div key={k}>
          <dt className="mono">{k}</dt>
          <dd>{json(v)}</dd>
        </div>
      ))}
    </dl>
  );
}

export function ModelCardView({ card }: { readonly card: ModelCard }) {
  const { model, version: v, data, run, fairness, safety } = card;
  const p = useId();
  return (
    <div className="stack">
      <section aria-labelledby={`${p}-overview`}>
        <h5 id={`${p}-overview`}>Model and version</h5>
        <ul>
          <li>Model description: {val(model.description)}</li>
          <li>Version description: {val(v.description)}</li>
          <li>
            Status: {v.status}
            {v.statusMessage !== NOT_RECORDED && ` (${v.statusMessage})`}; registered by {val(v.registeredBy)}{' '}
            on {v.createdAt}
          </li>
          <li>
            Source: <span className="mono">{v.source}</span>; sha256:{' '}
            {v.sha256 === NOT_RECORDED ? <Missing /> : <span className="mono">{v.sha256}</span>}
          </li>
          <li>Aliases: {v.aliases.length === 0 ? 'none' : v.aliases.join(', ')}</li>
        </ul>
      </section>
      <section aria-labelledby={`${p}-use`}>
        <h5 id={`${p}-use`}>Intended use</h5>
        <p>{val(card.intendedUse)}</p>
      </section>
      <section aria-labelledby={`${p}-data`}>
        <h5 id={`${p}-data`}>Data</h5>
        {'id' in data ? (
          <>
            <ul>
              <li>
                Data set <strong>{data.id}</strong> version {data.version} ({data.format},{' '}
                {formatNumber(data.rows)} rows, label field <span className="mono">{data.labelField}</span>)
              </li>
              <li>Description: {val(data.description)}</li>
              <li>
                Split:{' '}
                {Object.entries(data.split)
                  .map(([k, n]) => `${k} ${n}`)
                  .join(', ')}
              </li>
              <li>
                Sensitive attributes:{' '}
                {data.sensitiveAttributes.length === 0 ? (
                  <Missing what="none declared" />
                ) : (
                  data.sensitiveAttributes.join(', ')
                )}
              </li>
            </ul>
            <NumberTable caption="Class balance" keyLabel="Class" values={data.classBalance} />
          </>
        ) : (
          <p>
            <Missing /> ({data.reason})
          </p>
        )}
        {'runId' in run ? (
          <p className="small">
            Trained in run <span className="mono">{run.name || run.runId}</span> of experiment{' '}
            {val(run.experiment)}; data set version {val(run.lineage.datasetVersion)}, code version{' '}
            {val(run.lineage.codeVersion)}, study {val(run.lineage.parentStudy)}.
          </p>
        ) : (
          <p className="small">
            Training run: <Missing /> ({run.reason})
          </p>
        )}
      </section>
      <section aria-labelledby={`${p}-metrics`}>
        <h5 id={`${p}-metrics`}>Metrics</h5>
        {card.metrics === NOT_RECORDED ? (
          <p>
            <Missing />
          </p>
        ) : (
          <NumberTable caption="Metrics of this version" keyLabel="Metric" values={card.metrics} />
        )}
        {card.evaluation !== NOT_RECORDED && (
          <>
            <p className="small">Evaluation recorded with the version:</p>
            <ObjectList value={card.evaluation} />
          </>
        )}
      </section>
      <section aria-labelledby={`${p}-fairness`}>
        <h5 id={`${p}-fairness`}>Slices and fairness</h5>
        {'reports' in fairness ? (
          <>
            <p>
              <Badge tone={fairness.flagged ? 'UNAVAILABLE' : 'READY'}>
                {fairness.flagged ? 'flagged' : 'not flagged'}
              </Badge>{' '}
              across {fairness.attributes.join(', ')}: demographic parity difference{' '}
              {num(fairness.demographicParityDifference)}, equalized odds difference{' '}
              {num(fairness.equalizedOddsDifference)}, disparate impact ratio{' '}
              {num(fairness.disparateImpactRatio)}.
            </p>
            {fairness.reports.map((r, i) => (
              <ScrollTable key={`${r.attribute}-${i}`} label={`Slices by ${r.attribute}`}>
                <table>
                  <caption>
                    Slices by {r.attribute} ({r.split} split{r.flagged ? ', flagged' : ''}
                    {r.violations.length > 0
                      ? `: ${r.violations.map((x) => `${x.metric} ${x.value ?? 'undefined'} ${x.rule === 'max' ? '>' : '<'} ${x.threshold}`).join('; ')}`
                      : ''}
                    )
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">Group</th>
                      <th scope="col" className="num">
                        Rows
                      </th>
                      <th scope="col" className="num">
                        Accuracy
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {r.groups.map((g) => (
                      <tr key={g.group}>
                        <th scope="row">{g.group}</th>
                        <td className="num">{formatNumber(g.count)}</td>
                        <td className="num">{formatNumber(g.accuracy, 4)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </ScrollTable>
            ))}
          </>
        ) : (
          <p>
            <Missing what="not evaluated" /> ({fairness.reason})
          </p>
        )}
      </section>
      <section aria-labelledby={`${p}-limitations`}>
        <h5 id={`${p}-limitations`}>Limitations</h5>
        {card.limitations === NOT_RECORDED ? (
          <p>
            <Missing />
          </p>
        ) : (
          <ul>
            {card.limitations.map((l, i) => (
              <li key={i}>{l}</li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby={`${p}-safety`}>
        <h5 id={`${p}-safety`}>Safety evaluations</h5>
        <p>
          Moderation model:{' '}
          {safety.moderationModel === 'unknown' ? (
            <Missing what="unknown" />
          ) : safety.moderationModel ? (
            'yes'
          ) : (
            'no'
          )}{' '}
          <span className="small muted">(from {safety.basis})</span>
        </p>
        {safety.evaluations === NOT_RECORDED ? (
          <p>
            Evaluations: <Missing />
          </p>
        ) : (
          <ul>
            {safety.evaluations.map((e, i) => (
              <li key={i}>
                <ObjectList value={e} />
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

/** Loads and shows the card of `name` version `version`, with the Markdown download. */
export function ModelCardPanel({
  name,
  version,
  id,
  onClose,
}: {
  readonly name: string;
  readonly version: string;
  readonly id: string;
  readonly onClose: () => void;
}) {
  const card = useAsync((signal) => getModelCard(name, version, { signal }), [name, version]);
  return (
    <section className="card" id={id} aria-labelledby={`${id}-title`}>
      <div className="row">
        <h4 id={`${id}-title`}>
          Model card: {name} version {version}
        </h4>
        <a href={modelCardMarkdownUrl(name, version)} download={`${name}-v${version}-model-card.md`}>
          Download Markdown
        </a>
        <button type="button" className="link" onClick={onClose}>
          Close
        </button>
      </div>
      {card.state.status === 'loading' && !card.state.data && <Loading label="Loading the model card…" />}
      {card.state.status === 'error' && (
        <ErrorState error={card.state.error} context="Loading the model card failed." onRetry={card.reload} />
      )}
      {card.state.data && <ModelCardView card={card.state.data} />}
    </section>
  );
}
