// A failed request, announced (role="alert"): the server's hint as the
// message and its detail (the field or value at fault) on a line of its own.
// Anything that is not an ApiError shows the fallback sentence.
import type { ComponentChildren } from 'preact';
import { ApiError } from '../api';
import { ErrorAlert } from './ErrorAlert';

interface Props {
  error: unknown;
  fallback: string;
  children?: ComponentChildren;
}

export function ApiErrorAlert({ error, fallback, children }: Props) {
  if (!(error instanceof ApiError)) return <ErrorAlert message={fallback}>{children}</ErrorAlert>;
  const hint = error.hint.trim();
  const detail = error.detail.trim();
  // ApiError.message leaves out a detail that only repeats the hint.
  const separate = hint && detail && error.message !== hint;
  return (
    <ErrorAlert message={separate ? hint : error.message}>
      {separate && <p class="alert-detail">{detail}</p>}
      {children}
    </ErrorAlert>
  );
}
