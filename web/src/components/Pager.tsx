// "Showing 51–100 of 123" with Previous / Next (when there is more than one page).
import { Icon } from './Icon';

interface Props {
  page: number;
  pageSize: number;
  total: number;
  shown: number;
  onPage: (page: number) => void;
}

export function Pager({ page, pageSize, total, shown, onPage }: Props) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const first = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const last = (page - 1) * pageSize + shown;
  return (
    <nav class="pager" aria-label="Pages">
      <p class="pager-summary" data-testid="pager-summary">
        {total === 0 ? 'No invoices' : `Showing ${first}–${last} of ${total}`}
        {pages > 1 && <span class="pager-page"> · page {page} of {pages}</span>}
      </p>
      {pages > 1 && (
        <div class="pager-buttons">
          <button type="button" class="btn btn--secondary btn--small" disabled={page <= 1} onClick={() => onPage(page - 1)}>
            <Icon name="chevron-left" />
            Previous
          </button>
          <button type="button" class="btn btn--secondary btn--small" disabled={page >= pages} onClick={() => onPage(page + 1)}>
            Next
            <Icon name="chevron-right" />
          </button>
        </div>
      )}
    </nav>
  );
}
