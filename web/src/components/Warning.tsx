// Something the user should look into, found rather than caused by what they
// just did (an invoice signed with another VAT than its source's): part of
// the page like Notice, not announced like ErrorAlert, in the colour of the
// "warning" badges.
import type { ComponentChildren } from 'preact';
import { Icon } from './Icon';

interface Props {
  /** The first sentence, in words (it says what is wrong). */
  title: string;
  children?: ComponentChildren;
  testId?: string;
}

export function Warning({ title, children, testId }: Props) {
  return (
    <div class="alert alert--warning" role="note" data-testid={testId}>
      <Icon name="alert" class="alert-icon" />
      <div class="alert-body">
        <p class="alert-message">{title}</p>
        {children}
      </div>
    </div>
  );
}
