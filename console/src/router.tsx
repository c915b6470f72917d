import { createBrowserRouter, Navigate } from 'react-router';
import { Layout, RequireSession, Start } from './components/Layout';
import { AccountPage } from './pages/Account';
import { AuditPage } from './pages/Audit';
import { BootstrapPage } from './pages/Bootstrap';
import { ClusterPage, ClustersPage, NewClusterPage } from './pages/Clusters';
import { IdentitiesPage } from './pages/Identities';
import { IdentityAuditTab, IdentityKubernetesTab, IdentityPage, IdentitySettingsTab, IdentityTokensTab } from './pages/Identity';
import { InstancePage } from './pages/Instance';
import { MembersPage } from './pages/Members';
import { NotFoundPage } from './pages/NotFound';
import { SignInPage } from './pages/SignIn';
import { TroubleshootingPage } from './pages/Troubleshooting';

/** The console's screens (docs/console.md), all under /ui/. */
export const router = createBrowserRouter(
  [
    { path: '/', element: <Start /> },
    { path: '/setup', element: <BootstrapPage /> },
    { path: '/sign-in', element: <SignInPage /> },
    {
      element: <Layout />,
      children: [
        { path: '/help/troubleshooting', element: <TroubleshootingPage /> },
        {
          element: <RequireSession />,
          children: [
            { path: '/orgs/:orgId', element: <Navigate to="identities" replace /> },
            { path: '/orgs/:orgId/identities', element: <IdentitiesPage /> },
            {
              path: '/orgs/:orgId/identities/:identityId',
              element: <IdentityPage />,
              children: [
                { index: true, element: <Navigate to="settings" replace /> },
                { path: 'settings', element: <IdentitySettingsTab /> },
                { path: 'kubernetes', element: <IdentityKubernetesTab /> },
                { path: 'tokens', element: <IdentityTokensTab /> },
                { path: 'audit', element: <IdentityAuditTab /> },
              ],
            },
            { path: '/orgs/:orgId/clusters', element: <ClustersPage /> },
            { path: '/orgs/:orgId/clusters/new', element: <NewClusterPage /> },
            { path: '/orgs/:orgId/clusters/:clusterId', element: <ClusterPage /> },
            { path: '/orgs/:orgId/members', element: <MembersPage /> },
            { path: '/orgs/:orgId/audit', element: <AuditPage /> },
            { path: '/instance', element: <InstancePage /> },
            { path: '/account', element: <AccountPage /> },
          ],
        },
        { path: '*', element: <NotFoundPage /> },
      ],
    },
  ],
  { basename: '/ui' },
);
