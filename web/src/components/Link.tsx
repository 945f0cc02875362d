// An <a> that navigates inside the app without a page load. Modified clicks
// (new tab, new window) keep the browser's behaviour.
import type { ComponentChildren } from 'preact';
import { navigate } from '../router';

interface Props {
  href: string;
  class?: string;
  current?: boolean;
  testId?: string;
  children: ComponentChildren;
}

export function Link({ href, class: cls, current, testId, children }: Props) {
  const onClick = (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return (
    <a href={href} class={cls} aria-current={current ? 'page' : undefined} data-testid={testId} onClick={onClick}>
      {children}
    </a>
  );
}
