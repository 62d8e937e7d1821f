import { lazy, Suspense } from 'react';
import { Route, Routes } from 'react-router-dom';
import { useMe, useSetupStatus } from '../api/queries';
import { ErrorNotice, NotFound, PageLoader } from '../components/feedback';
import { InvitePage } from '../features/auth/InvitePage';
import { LoginPage } from '../features/auth/LoginPage';
import { SetupPage } from '../features/auth/SetupPage';
import { ConversationPage } from '../features/conversation/ConversationPage';
import { InboxPage } from '../features/inbox/InboxPage';
import { ProfilePage } from '../features/profile/ProfilePage';
import { LiveProvider } from '../live/LiveProvider';
import { can } from '../api/permissions';
import { Shell } from './Shell';

// Rarely opened first: loaded on demand to keep the first download small.
const CustomersPage = lazy(() => import('../features/customers/CustomersPage'));
const CustomerPage = lazy(() => import('../features/customers/CustomerPage'));
const SettingsPage = lazy(() => import('../features/settings/SettingsPage'));
const SurveysPage = lazy(() => import('../features/surveys/SurveysPage'));

export function App() {
  const setup = useSetupStatus();
  const me = useMe();
  if (setup.isPending || (me.isPending && !setup.data?.needsSetup)) return <PageLoader />;
  if (setup.isError) return <ErrorNotice error={setup.error} onRetry={() => void setup.refetch()} />;
  if (setup.data.needsSetup) return <SetupPage />;
  if (me.isError) return <ErrorNotice error={me.error} onRetry={() => void me.refetch()} />;
  const user = me.data;
  if (!user) {
    return (
      <Routes>
        <Route path="/invite" element={<InvitePage me={null} />} />
        <Route path="/invite/:token" element={<InvitePage me={null} />} />
        <Route path="*" element={<LoginPage />} />
      </Routes>
    );
  }
  return (
    <LiveProvider key={user.workspace.id}>
      <Shell me={user}>
        <Suspense fallback={<PageLoader />}>
          <Routes>
            <Route path="/" element={<InboxPage me={user} />} />
            <Route path="/conversations/:id" element={<ConversationPage me={user} />} />
            {can(user.role, 'customers') ? <Route path="/customers" element={<CustomersPage />} /> : null}
            {can(user.role, 'customers') ? <Route path="/customers/:id" element={<CustomerPage me={user} />} /> : null}
            {can(user.role, 'customers') ? <Route path="/surveys" element={<SurveysPage />} /> : null}
            {can(user.role, 'settings') ? <Route path="/settings/*" element={<SettingsPage me={user} />} /> : null}
            <Route path="/profile" element={<ProfilePage me={user} />} />
            <Route path="/invite" element={<InvitePage me={user} />} />
            <Route path="/invite/:token" element={<InvitePage me={user} />} />
            <Route path="*" element={<NotFound />} />
          </Routes>
        </Suspense>
      </Shell>
    </LiveProvider>
  );
}
