// Log in with email and password; the API answers with the "me" object.
import { useState } from 'preact/hooks';
import { ApiError } from '../api';
import { AuthLayout } from '../components/AuthLayout';
import { ErrorAlert } from '../components/ErrorAlert';
import { Link } from '../components/Link';
import { TextField } from '../components/TextField';
import { portal } from '../portal';
import type { Me } from '../types';
import { useTitle } from '../useTitle';
import { checkEmail, checkPassword, firstInvalid, type Errors } from '../validate';

type Field = 'email' | 'password';
const ORDER: Field[] = ['email', 'password'];

interface Props {
  onSignedIn: (me: Me) => void;
}

export function LoginPage({ onSignedIn }: Props) {
  useTitle('Log in');
  const [values, setValues] = useState<Record<Field, string>>({ email: '', password: '' });
  const [errors, setErrors] = useState<Errors<Field>>({});
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [apiError, setApiError] = useState<string | null>(null);

  const validate = (v: Record<Field, string>): Errors<Field> => ({
    email: checkEmail(v.email),
    password: checkPassword(v.password),
  });

  const set = (field: Field) => (value: string) => {
    const next = { ...values, [field]: value };
    setValues(next);
    if (submitted) setErrors(validate(next));
  };

  const onSubmit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    setSubmitted(true);
    const errs = validate(values);
    setErrors(errs);
    const bad = firstInvalid(ORDER, errs);
    if (bad) {
      document.getElementById(`login-${bad}`)?.focus();
      return;
    }
    setBusy(true);
    setApiError(null);
    try {
      const me = await portal.login(values.email.trim(), values.password);
      onSignedIn(me);
    } catch (err) {
      setApiError(err instanceof ApiError ? err.message : 'Log-in failed; please try again.');
      setBusy(false);
    }
  };

  return (
    <AuthLayout
      footer={
        <p>
          New to fiscalhub? <Link href="/signup">Create an account</Link>
        </p>
      }
    >
      <h1 id="page-title" class="auth-title" tabIndex={-1}>
        Log in
      </h1>
      <p class="auth-subtitle">Welcome back to the fiscalhub Client Portal.</p>
      {apiError && <ErrorAlert message={apiError} />}
      <form class="form" noValidate onSubmit={onSubmit} aria-labelledby="page-title">
        <TextField
          id="login-email"
          label="Email"
          type="email"
          autoComplete="username"
          value={values.email}
          onInput={set('email')}
          error={errors.email}
          disabled={busy}
        />
        <TextField
          id="login-password"
          label="Password"
          type="password"
          autoComplete="current-password"
          value={values.password}
          onInput={set('password')}
          error={errors.password}
          disabled={busy}
        />
        <button type="submit" class="btn btn--primary btn--block" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </AuthLayout>
  );
}
