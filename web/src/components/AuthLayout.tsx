// The frame of the sign-up and log-in pages: a centred card under the mark.
import type { ComponentChildren } from 'preact';
import { Logo } from './Logo';

interface Props {
  children: ComponentChildren;
  footer?: ComponentChildren;
}

export function AuthLayout({ children, footer }: Props) {
  return (
    <div class="auth">
      <header class="auth-header">
        <Logo />
        <span class="auth-tagline">Client Portal</span>
      </header>
      <main id="main" class="auth-main">
        <div class="auth-card">{children}</div>
        {footer && <div class="auth-footer">{footer}</div>}
      </main>
    </div>
  );
}
