// Account → Your account: who is signed in, and Change password. The current
// password is asked again (a session left open must not be enough); every
// other browser signed in as this user is logged out by the change.
import { useState } from 'preact/hooks';
import { ApiErrorAlert } from '../components/ApiErrorAlert';
import { PageHeader } from '../components/PageHeader';
import { StatusNote } from '../components/StatusNote';
import { TextField } from '../components/TextField';
import { team } from '../team';
import type { Me } from '../types';
import { useTitle } from '../useTitle';

interface Props {
  me: Me;
}

export function AccountPage({ me }: Props) {
  useTitle('Your account');
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [invalid, setInvalid] = useState<Record<string, string>>({});
  const [note, setNote] = useState<string | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    const bad: Record<string, string> = {};
    if (!current) bad.current = 'Enter your current password.';
    if (next.length < 10) bad.next = 'Choose a password of at least 10 characters.';
    else if (again !== next) bad.again = 'The two new passwords differ.';
    setInvalid(bad);
    if (Object.keys(bad).length) return;
    setBusy(true);
    setError(null);
    setNote(null);
    try {
      await team.changePassword(current, next);
      setCurrent('');
      setNext('');
      setAgain('');
      setNote('Your password is changed. Any other browser signed in as you was logged out.');
    } catch (err) {
      setError(err);
    }
    setBusy(false);
  };

  return (
    <>
      <PageHeader title="Your account" description={`${me.user.name} · ${me.user.email} · ${me.tenant.name}`} />
      <StatusNote message={note} />
      <section class="panel" aria-labelledby="password-heading">
        <div class="panel-header">
          <h2 id="password-heading" class="panel-title">
            Change password
          </h2>
        </div>
        <form class="form account-form" aria-labelledby="password-heading" noValidate onSubmit={submit}>
          {error !== null && <ApiErrorAlert error={error} fallback="The password could not be changed; please try again." />}
          <input type="text" name="username" autoComplete="username" value={me.user.email} hidden readOnly />
          <TextField
            id="current-password"
            label="Current password"
            type="password"
            autoComplete="current-password"
            maxLength={200}
            value={current}
            error={invalid.current}
            disabled={busy}
            onInput={setCurrent}
          />
          <TextField
            id="new-password"
            label="New password"
            type="password"
            autoComplete="new-password"
            maxLength={200}
            hint="At least 10 characters."
            value={next}
            error={invalid.next}
            disabled={busy}
            onInput={setNext}
          />
          <TextField
            id="new-password-again"
            label="New password again"
            type="password"
            autoComplete="new-password"
            maxLength={200}
            value={again}
            error={invalid.again}
            disabled={busy}
            onInput={setAgain}
          />
          <div>
            <button type="submit" class="btn btn--primary" disabled={busy}>
              {busy ? 'Changing…' : 'Change password'}
            </button>
          </div>
        </form>
      </section>
    </>
  );
}
