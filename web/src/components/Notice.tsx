// A calm informational note (not announced; part of the page).
import type { ComponentChildren } from 'preact';
import { Icon } from './Icon';

interface Props {
  children: ComponentChildren;
}

export function Notice({ children }: Props) {
  return (
    <div class="alert alert--info">
      <Icon name="info" class="alert-icon" />
      <div class="alert-body">{children}</div>
    </div>
  );
}
