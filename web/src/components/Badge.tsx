import type { ComponentChildren } from 'preact';

export type BadgeTone = 'success' | 'neutral' | 'info' | 'warning' | 'danger' | 'premium';

interface Props {
  tone: BadgeTone;
  dot?: boolean;
  children: ComponentChildren;
}

export function Badge({ tone, dot, children }: Props) {
  return (
    <span class={`badge badge--${tone}`}>
      {dot && <span class="badge-dot" aria-hidden="true" />}
      {children}
    </span>
  );
}
