// Loads one API resource for a key (an organization code, plus a query) and
// loads again when the key changes. A reply for a key the page has since left
// is dropped. reload() shows the loading state again; refresh() fetches in the
// background and keeps the current data on screen until the answer arrives
// (used to follow invoices that are still being fiscalized).
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';

interface State<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
  refresh: () => void;
}

export function useResource<T>(
  key: string | null,
  load: (signal: AbortSignal) => Promise<T>,
  failure = 'Could not load this page.',
): State<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [nonce, setNonce] = useState(0);
  const quiet = useRef(false);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    if (key === null) return undefined;
    const ctl = new AbortController();
    const background = quiet.current;
    quiet.current = false;
    if (!background) {
      setLoading(true);
      setError(null);
      setData(null);
    }
    loadRef
      .current(ctl.signal)
      .then((reply) => {
        if (ctl.signal.aborted) return;
        setData(reply);
        setError(null);
        setLoading(false);
      })
      .catch((e: unknown) => {
        if (ctl.signal.aborted) return;
        // A failed background refresh keeps what is on screen.
        if (background) return;
        setError(e instanceof ApiError ? e.message : failure);
        setLoading(false);
      });
    return () => ctl.abort();
  }, [key, nonce]);

  const reload = useCallback(() => setNonce((n) => n + 1), []);
  const refresh = useCallback(() => {
    quiet.current = true;
    setNonce((n) => n + 1);
  }, []);
  return { data, error, loading, reload, refresh };
}
