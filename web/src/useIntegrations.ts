// Loads GET /api/orgs/{org}/integrations for the chosen organization and
// reloads when the organization changes. A reply for an organization the user
// has since switched away from is dropped.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError } from './api';
import { portal } from './portal';
import type { IntegrationsReply } from './types';

interface State {
  data: IntegrationsReply | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

export function useIntegrations(orgCode: string | null): State {
  const [data, setData] = useState<IntegrationsReply | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [nonce, setNonce] = useState(0);

  useEffect(() => {
    if (!orgCode) return undefined;
    const ctl = new AbortController();
    setLoading(true);
    setError(null);
    setData(null);
    portal
      .integrations(orgCode, ctl.signal)
      .then((reply) => {
        if (ctl.signal.aborted) return;
        setData(reply);
        setLoading(false);
      })
      .catch((e: unknown) => {
        if (ctl.signal.aborted) return;
        setError(e instanceof ApiError ? e.message : 'Could not load the integrations.');
        setLoading(false);
      });
    return () => ctl.abort();
  }, [orgCode, nonce]);

  const reload = useCallback(() => setNonce((n) => n + 1), []);
  return { data, error, loading, reload };
}
