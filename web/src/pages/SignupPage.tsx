// Create an account: the API makes the user, their tenant and a first
// organization, and answers with the "me" object (signed in).
import { useState } from 'preact/hooks';
import { ApiError } from '../api';
import { AuthLayout } from '../components/AuthLayout';
import { ErrorAlert } from '../components/ErrorAlert';
import { Link } from '../components/Link';
import { TextField } from '../components/TextField';
import { portal } from '../portal';
import type { Me } from '../types';
import { useTitle } from '../useTitle';
import { checkEmail, checkNewPassword, checkText, firstInvalid, type Errors } from '../validate';

type Field = 'email' | 'password' | 'name' | 'company';
const ORDER: Field[] = ['email', 'password', 'name', 'company'];

interface Props {
  onSignedIn: (me: Me) => void;
}

export function SignupPage({ onSignedIn }: Props) {
  useTitle('Sign up');
  const [values, setValues] = useState<Record<Field, string>>({ email: '', password: '', name: '', company: '' });
  const [errors, setErrors] = useState<Errors<Field>>({});
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [apiError, setApiError] = useState<string | null>(null);

  const validate = (v: Record<Field, string>): Errors<Field> => ({
    email: checkEmail(v.email),
    password: checkNewPassword(v.password),
    name: checkText(v.name, 'your name', 100),
    company: checkText(v.company, 'your company name', 200),
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
      document.getElementById(`signup-${bad}`)?.focus();
      return;
    }
    setBusy(true);
    setApiError(null);
    try {
      const me = await portal.signup({
        email: values.email.trim(),
        password: values.password,
        name: values.name.trim(),
        company: values.company.trim(),
      });
      onSignedIn(me);
    } catch (err) {
      setApiError(err instanceof ApiError ? err.message : 'Sign-up failed; please try again.');
      setBusy(false);
    }
  };

  return (
    <AuthLayout
      footer={
        <p>
          Already have an account? <Link href="/login">Log in</Link>
        </p>
      }
    >
      <h1 id="page-title" class="auth-title" tabIndex={-1}>
        Create your account
      </h1>
      <p class="auth-subtitle">Start with a free trial: 1 connection and 50 invoices per month.</p>
      {apiError && <ErrorAlert message={apiError} />}
      <form class="form" noValidate onSubmit={onSubmit} aria-labelledby="page-title">
        <TextField
          id="signup-email"
          label="Email"
          type="email"
          autoComplete="email"
          value={values.email}
          onInput={set('email')}
          error={errors.email}
          disabled={busy}
        />
        <TextField
          id="signup-password"
          label="Password"
          type="password"
          autoComplete="new-password"
          hint="At least 10 characters."
          maxLength={200}
          value={values.password}
          onInput={set('password')}
          error={errors.password}
          disabled={busy}
        />
        <TextField
          id="signup-name"
          label="Your name"
          autoComplete="name"
          maxLength={100}
          value={values.name}
          onInput={set('name')}
          error={errors.name}
          disabled={busy}
        />
        <TextField
          id="signup-company"
          label="Company name"
          autoComplete="organization"
          maxLength={200}
          value={values.company}
          onInput={set('company')}
          error={errors.company}
          disabled={busy}
        />
        <button type="submit" class="btn btn--primary btn--block" disabled={busy}>
          {busy ? 'Creating account…' : 'Create account'}
        </button>
      </form>
    </AuthLayout>
  );
}
