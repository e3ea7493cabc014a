/**
 * Data sets and studies: the server builds and runs them (src/lifecycle), but there is no HTTP API
 * for them yet, so the console cannot list them. These pages say so plainly instead of showing an
 * empty table that would suggest there is nothing.
 */
import { Link } from '../router';
import { PageTitle } from '../components/PageTitle';

export function DataSets() {
  return (
    <>
      <div className="page-header">
        <PageTitle>Data sets</PageTitle>
        <p>
          Content-addressed training and evaluation data, with line-numbered validation and stratified splits.
        </p>
      </div>
      <div className="state">
        <h2>Not available in the console yet</h2>
        <p>
          The server has no HTTP API for data sets yet, so this page cannot list them. Data sets are created
          by training jobs today (for example <code>npm run train:spam</code>); the runs they feed are on the{' '}
          <Link to="/experiments">Experiments &amp; runs</Link> page.
        </p>
        <p>
          When the data set API lands, this page will list each data set with its versions, schema, size and
          splits.
        </p>
      </div>
    </>
  );
}

export function Studies() {
  return (
    <>
      <div className="page-header">
        <PageTitle>Studies</PageTitle>
        <p>
          Hyper-parameter searches: trials, their parameters and objective values, pruned trials and the best
          result.
        </p>
      </div>
      <div className="state">
        <h2>Not available in the console yet</h2>
        <p>
          The server has no HTTP API for studies yet, so this page cannot list them. Trials that log to the
          tracking API appear as runs on the <Link to="/experiments">Experiments &amp; runs</Link> page.
        </p>
        <p>
          When the study API lands, this page will show each study’s trials, the best trial and the search
          history.
        </p>
      </div>
    </>
  );
}

export function NotFound() {
  return (
    <>
      <div className="page-header">
        <PageTitle>Page not found</PageTitle>
      </div>
      <div className="state">
        <p>
          There is no page at this address. Go to the <Link to="/playground">Playground</Link> or pick a page
          from the menu.
        </p>
      </div>
    </>
  );
}
