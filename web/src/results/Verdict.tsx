/** The safety decision and its statement of reasons. */
import type { SafetyVerdict } from '../api/analyze';
import { Badge } from '../components/Badge';
import { actionLabel, describeReason } from './extract';

export function Verdict({ safety }: { readonly safety: SafetyVerdict }) {
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
        <p className="small">
          A safety analyzer did not deliver, and this policy fails closed: the decision is the cautious one.
        </p>
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
