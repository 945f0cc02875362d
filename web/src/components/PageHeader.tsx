// The title row of a page. The <h1> takes focus after client-side navigation
// (see App) so screen-reader users hear where they arrived.
import type { ComponentChildren } from 'preact';

interface Props {
  title: string;
  description?: ComponentChildren;
  actions?: ComponentChildren;
}

export function PageHeader({ title, description, actions }: Props) {
  return (
    <div class="page-header">
      <div class="page-header-text">
        <h1 id="page-title" class="page-title" tabIndex={-1}>
          {title}
        </h1>
        {description && <p class="page-description">{description}</p>}
      </div>
      {actions && <div class="page-header-actions">{actions}</div>}
    </div>
  );
}
