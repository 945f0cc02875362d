// A button the user's role may not allow: disabled then, with the reason in
// its title and (showReason) in text next to it that it is described by.
import type { ComponentChildren } from 'preact';
import { Icon, type IconName } from './Icon';

interface Props {
  id: string;
  allowed: boolean;
  reason: string;
  role?: string;
  showReason?: boolean;
  icon?: IconName;
  variant?: 'primary' | 'secondary';
  /** Where the button and its reason sit in their container (default: centred). */
  align?: 'center' | 'start';
  onClick: () => void;
  children: ComponentChildren;
}

export function GuardedButton({ id, allowed, reason, role, showReason, icon, variant = 'primary', align = 'center', onClick, children }: Props) {
  const reasonId = `${id}-reason`;
  return (
    <div class={align === 'start' ? 'guarded-action guarded-action--start' : 'guarded-action'}>
      <button
        type="button"
        id={id}
        class={`btn btn--${variant}`}
        disabled={!allowed}
        title={allowed ? undefined : reason}
        aria-describedby={!allowed && showReason ? reasonId : undefined}
        onClick={onClick}
      >
        {icon && <Icon name={icon} />}
        {children}
      </button>
      {!allowed && showReason && (
        <p class="guarded-action-reason" id={reasonId}>
          {role ? `Your role here is ${role}. ` : ''}
          {reason}
        </p>
      )}
    </div>
  );
}
