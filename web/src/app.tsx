// The page shell: sign-in gate, header with sign-out, and the four routes.
import { useEffect } from 'react';
import { ExperimentPage } from './pages/experiment-page.js';
import { ExperimentsPage } from './pages/experiments-page.js';
import { RunPage } from './pages/run-page.js';
import { SignIn } from './pages/sign-in.js';
import { Link } from './lib/link.js';
import { navigate, paths, type Route, useRoute } from './lib/router.js';
import { type Session, signOut, useSession } from './lib/session.js';

function Header({ session }: { session: Session | null }) {
  return (
    <header className="top">
      <Link to={session ? paths.experiments(session.project.slug) : '/'} className="brand">
        Assay
      </Link>
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
  // Another project's pages behave as pages that do not exist (SPEC §2).
  if (route.name === 'unknown' || route.project !== session.project.slug) {
    return (
      <main>
        <h1>Not found</h1>
        <p>
          There is no such page for project <strong>{session.project.slug}</strong>. <Link to={home}>Its experiments</Link>
        </p>
      </main>
    );
  }
  switch (route.name) {
    case 'experiments':
      return <ExperimentsPage project={route.project} />;
    case 'experiment':
      return <ExperimentPage key={route.slug} project={route.project} slug={route.slug} />;
    case 'run':
      return <RunPage key={route.runId} project={route.project} slug={route.slug} runId={route.runId} />;
  }
}

export function App() {
  const session = useSession();
  const route = useRoute();
  return (
    <>
      <Header session={session} />
      {session ? <Page route={route} session={session} /> : <SignIn />}
    </>
  );
}
