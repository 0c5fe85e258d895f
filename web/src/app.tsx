// The page shell: sign-in gate, header with the project's sections and sign-out, and the routes.
import { useEffect } from 'react';
import { DatasetPage } from './pages/dataset-page.js';
import { DatasetsPage } from './pages/datasets-page.js';
import { ExperimentPage } from './pages/experiment-page.js';
import { ExperimentsPage } from './pages/experiments-page.js';
import { RunPage } from './pages/run-page.js';
import { SignIn } from './pages/sign-in.js';
import { Link } from './lib/link.js';
import { useTitle } from './lib/title.js';
import { SkipLink } from './run/skip-link.js';
import { navigate, paths, type Route, useRoute } from './lib/router.js';
import { type Session, signOut, useSession } from './lib/session.js';

/** The project's two sections; the one the route is in is marked current. */
function Sections({ project, route }: { project: string; route: Route }) {
  const section = route.name === 'datasets' || route.name === 'dataset' ? 'datasets' : route.name === 'unknown' || route.name === 'home' ? null : 'experiments';
  return (
    <nav aria-label="Project" className="sections">
      <Link to={paths.experiments(project)} current={section === 'experiments'}>Experiments</Link>
      <Link to={paths.datasets(project)} current={section === 'datasets'}>Datasets</Link>
    </nav>
  );
}

function Header({ session, route }: { session: Session | null; route: Route }) {
  return (
    <header className="top">
      <Link to={session ? paths.experiments(session.project.slug) : '/'} className="brand">
        Assay
      </Link>
      {session && <Sections project={session.project.slug} route={route} />}
      {session && (
        <span className="who">
          Project <strong>{session.project.name}</strong>
          <button
            type="button"
            onClick={() => {
              signOut();
              navigate('/');
            }}
          >
            Sign out
          </button>
        </span>
      )}
    </header>
  );
}

function Page({ route, session }: { route: Route; session: Session }) {
  const home = paths.experiments(session.project.slug);
  useEffect(() => {
    if (route.name === 'home') navigate(home, { replace: true });
  }, [route.name, home]);
  if (route.name === 'home') return null;
  if (route.name === 'unknown') return <NotFound home={home} project={session.project.slug} />;
  if (route.project !== session.project.slug) return <OtherProject project={route.project} session={session} />;
  switch (route.name) {
    case 'experiments':
      return <ExperimentsPage project={route.project} />;
    case 'experiment':
      return <ExperimentPage key={route.slug} project={route.project} slug={route.slug} />;
    case 'run':
      return <RunPage key={route.runId} project={route.project} slug={route.slug} runId={route.runId} />;
    case 'datasets':
      return <DatasetsPage project={route.project} />;
    case 'dataset':
      return <DatasetPage key={route.slug} project={route.project} slug={route.slug} version={route.version} offset={route.offset} />;
  }
}

/** An address no page answers. */
function NotFound({ home, project }: { home: string; project: string }) {
  useTitle('Not found');
  return (
    <main>
      <h1>Not found</h1>
      <p>
        There is no such page for project <strong>{project}</strong>. <Link to={home}>Its experiments</Link>
      </p>
    </main>
  );
}

/**
 * A page of another project than the tab's key's. The API answers such pages as if they did not
 * exist (SPEC §2), and so does this: it repeats only the project the address names, never
 * whether it exists, and says which key would open it.
 */
function OtherProject({ project, session }: { project: string; session: Session }) {
  useTitle("Another project's page");
  return (
    <main>
      <h1>Another project's page</h1>
      <p data-testid="other-project">
        This address is for project <strong><bdi>{project}</bdi></strong>, and this tab is signed in to project <strong><bdi>{session.project.slug}</bdi></strong>. A key opens only its own project's pages: to see this one, sign in with an API key of project <strong><bdi>{project}</bdi></strong>.
      </p>
      <p>
        {/* The address stays: signing in with the other project's key opens the page. */}
        <button type="button" onClick={() => signOut(`To open this page, sign in with an API key of project ${project}.`)}>
          Sign in with another key
        </button>{' '}
        <Link to={paths.experiments(session.project.slug)}>Back to {session.project.slug}'s experiments</Link>
      </p>
    </main>
  );
}

export function App() {
  const session = useSession();
  const route = useRoute();
  return (
    <>
      {/* Before the header: the run page's first Tab stop. */}
      {session && route.name === 'run' && <SkipLink />}
      <Header session={session} route={route} />
      {session ? <Page route={route} session={session} /> : <SignIn />}
    </>
  );
}
