// A message the user must notice: announced by screen readers (role="alert").
import type { ComponentChildren } from 'preact';
import { Icon } from './Icon';

interface Props {
  message: string;
  children?: ComponentChildren;
}

export function ErrorAlert({ message, children }: Props) {
  return (
    <div class="alert alert--error" role="alert">
      <Icon name="alert" class="alert-icon" />
      <div class="alert-body">
        <p class="alert-message">{message}</p>
        {children}
      </div>
    </div>
  );
}
