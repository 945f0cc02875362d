// A friendly "nothing here yet" block with an optional call to action.
import type { ComponentChildren } from 'preact';
import { Icon, type IconName } from './Icon';

interface Props {
  icon: IconName;
  title: string;
  children?: ComponentChildren;
  action?: ComponentChildren;
}

export function EmptyState({ icon, title, children, action }: Props) {
  return (
    <div class="empty-state">
      <span class="empty-state-icon">
        <Icon name={icon} />
      </span>
      <h2 class="empty-state-title">{title}</h2>
      {children && <div class="empty-state-text">{children}</div>}
      {action && <div class="empty-state-action">{action}</div>}
    </div>
  );
}
