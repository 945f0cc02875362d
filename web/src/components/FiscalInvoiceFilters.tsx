// Filters of the POS Invoices list: status, integration, the VAT check (only
// invoices whose V-SDC VAT differs from the source's) and a creation date
// range. Every change applies at once (and goes back to page 1). The server
// reads the dates as whole UTC days, "to" included.
import { EMPTY_FILTER, isFiltered, type FiscalFilter } from '../fiscalInvoices';

export interface IntegrationOption {
  uid: string;
  label: string;
}

interface Props {
  value: FiscalFilter;
  integrations: IntegrationOption[];
  rangeError: string | null;
  onChange: (next: FiscalFilter) => void;
}

export function FiscalInvoiceFilters({ value, integrations, rangeError, onChange }: Props) {
  const set = (field: 'status' | 'integration' | 'vat' | 'from' | 'to') => (e: Event) =>
    onChange({ ...value, [field]: (e.currentTarget as HTMLInputElement | HTMLSelectElement).value, page: 1 });
  const filtered = isFiltered(value);
  // A filter for an integration that is no longer listed (removed) still shows.
  const options = integrations.some((i) => i.uid === value.integration) || !value.integration
    ? integrations
    : [...integrations, { uid: value.integration, label: value.integration }];
  return (
    <form class="filters" role="search" aria-label="Filter invoices" onSubmit={(e) => e.preventDefault()}>
      <div class="filter">
        <label class="field-label" for="filter-status">
          Status
        </label>
        <select id="filter-status" class="field-input" value={value.status} onChange={set('status')}>
          <option value="">All statuses</option>
          <option value="signed">Signed</option>
          <option value="failed">Failed</option>
          <option value="pending">Pending</option>
          <option value="on_hold">On hold</option>
        </select>
      </div>
      <div class="filter filter--wide">
        <label class="field-label" for="filter-integration">
          Integration
        </label>
        <select id="filter-integration" class="field-input" value={value.integration} onChange={set('integration')}>
          <option value="">All integrations</option>
          {options.map((i) => (
            <option key={i.uid} value={i.uid}>
              {i.label}
            </option>
          ))}
        </select>
      </div>
      <div class="filter">
        <label class="field-label" for="filter-vat">
          VAT
        </label>
        <select id="filter-vat" class="field-input" value={value.vat} onChange={set('vat')}>
          <option value="">Any VAT</option>
          <option value="differs">Differs from the source</option>
        </select>
      </div>
      <div class="filter">
        <label class="field-label" for="filter-from">
          From
        </label>
        <input
          id="filter-from"
          class="field-input"
          type="date"
          value={value.from}
          max={value.to || undefined}
          aria-describedby="filter-dates-hint"
          onChange={set('from')}
        />
      </div>
      <div class={rangeError ? 'filter field--invalid' : 'filter'}>
        <label class="field-label" for="filter-to">
          To
        </label>
        <input
          id="filter-to"
          class="field-input"
          type="date"
          value={value.to}
          min={value.from || undefined}
          aria-invalid={rangeError ? 'true' : undefined}
          aria-describedby={rangeError ? 'filter-dates-hint filter-dates-error' : 'filter-dates-hint'}
          onChange={set('to')}
        />
      </div>
      {filtered && (
        <div class="filter filter--action">
          <button
            type="button"
            class="btn btn--ghost"
            onClick={() => onChange(EMPTY_FILTER)}
          >
            Clear filters
          </button>
        </div>
      )}
      <p class="filters-hint field-hint" id="filter-dates-hint">
        Dates are the day the invoice was received, in UTC; both days are included.
      </p>
      {rangeError && (
        <p class="filters-hint field-error" id="filter-dates-error">
          {rangeError}
        </p>
      )}
    </form>
  );
}
