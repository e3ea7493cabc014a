/** The page for an address the console does not know. */
import { Link } from '../router';
import { PageTitle } from '../components/PageTitle';

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
