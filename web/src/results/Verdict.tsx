/** The safety decision and its statement of reasons. */
import type { SafetyVerdict } from '../api/analyze';
import { Badge } from '../components/Badge';
import { actionLabel, describeReason } from './extract';

/** Why a step did not run, from the answer's `skipped` map ({status, reason} or anything). */
const whyNot = (why: unknown): string =>
  typeof why === 'object' && why !== null && 'reason' in why
    ? String((why as { reason: unknown }).reason)
    : JSON.stringify(why);

export function Verdict({
  safety,
  skipped = {},
}: {
  readonly safety: SafetyVerdict;
  /** Steps that did not run (the answer's `skipped`): named when the policy failed closed. */
  readonly skipped?: Readonly<Record<string, unknown>>;
}) {
  const notRun = Object.entries(skipped);
  const reasons = safety.reasons.filter((r) => r.action !== 'allow');
  return (
    <section className={`card verdict ${safety.action}`} aria-labelledby="verdict-heading">
      <h2 id="verdict-heading">Safety decision</h2>
      <p className="verdict-action">{actionLabel(safety.action)}</p>
      <p className="row small">
        <span>
          Input:{' '}
          <Badge tone={safety.decisions.input ?? 'neutral'}>{safety.decisions.input ?? 'not decided'}</Badge>
        </span>
        <span>
          Output:{' '}
          <Badge tone={safety.decisions.output ?? 'neutral'}>
            {safety.decisions.output ?? 'not decided'}
          </Badge>
        </span>
        <span className="muted">
          Policy {safety.policy.id} {safety.policy.version}
        </span>
      </p>
      <h3>Statement of reasons</h3>
      {reasons.length === 0 ? (
        <p>No rule of the policy matched: the content is allowed as it is.</p>
      ) : (
        <ol className="reasons">
          {reasons.map((r, i) => (
            <li key={i}>{describeReason(r)}</li>
          ))}
        </ol>
      )}
      {safety.failClosed && (
        <div className="small" data-testid="fail-closed">
          <p>
            A safety analyzer did not deliver, and this policy fails closed: content it could not check is
            treated as unsafe, so the decision is the cautious one — not a finding in the content.
          </p>
          {notRun.length > 0 && (
            <>
              <p>Steps that did not run, and why:</p>
              <ul>
                {notRun.map(([step, why]) => (
                  <li key={step}>
                    <strong>{step}</strong>: {whyNot(why)}
                  </li>
                ))}
              </ul>
              <p>
                An administrator can make them available (a model that is not loaded can be loaded on the
                Models page); then analyse again.
              </p>
            </>
          )}
        </div>
      )}
      {safety.unchecked.length > 0 && (
        <p className="small muted">
          Not checked by this pipeline: {safety.unchecked.join(', ')}. Choose a pipeline with these steps for
          a full decision.
        </p>
      )}
    </section>
  );
}
