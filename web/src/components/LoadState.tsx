// A resource on its way (Loading, with what is loading) or failed to load
// (the reason, with Try again). RetryAlert is the failure alone, for places
// that show their own loading state.
import { ErrorAlert } from './ErrorAlert';
import { Loading } from './Loading';

interface RetryProps {
  message: string;
  onRetry: () => void;
}

export function RetryAlert({ message, onRetry }: RetryProps) {
  return (
    <ErrorAlert message={message}>
      <button type="button" class="btn btn--secondary btn--small" onClick={onRetry}>
        Try again
      </button>
    </ErrorAlert>
  );
}

interface Props {
  loading: boolean;
  error: string | null;
  label: string;
  onRetry: () => void;
}

export function LoadState({ loading, error, label, onRetry }: Props) {
  return (
    <>
      {loading && <Loading label={label} />}
      {error && <RetryAlert message={error} onRetry={onRetry} />}
    </>
  );
}
