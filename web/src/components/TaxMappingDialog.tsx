// Tax mapping of a Xero or Zoho Books integration: which V-SDC tax label each
// of the platform's taxes becomes on the fiscal invoice. The dialog reads
// GET .../tax-mapping (the platform's taxes, the labels the certificate's
// V-SDC defines now, the mapping in force) and saves with
// PATCH .../{uid} {"settings": {"tax_mapping", "default_label"}}.
//
// A tax without a mapping takes the default label. A tax not mapped yet whose
// rate equals that of exactly one percentage label is offered that label
// (marked "same rate"); the user saves to apply it. Mapping entries for taxes
// the platform no longer lists are kept as they are.
import { useState } from 'preact/hooks';
import { integrationsApi, oauthPlatform } from '../integrations';
import type { Integration, PartnerTax, TaxLabel, TaxMappingReply } from '../types';
import { useResource } from '../useResource';
import { ApiErrorAlert } from './ApiErrorAlert';
import { ErrorAlert } from './ErrorAlert';
import { Loading } from './Loading';
import { Modal, ModalActions } from './Modal';

interface Props {
  orgCode: string;
  integration: Integration;
  onClose: () => void;
  onSaved: (updated: Integration) => void;
}

const percent = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 4 });

/** "Ж · VAT 19 %", "P · PBL 0.5 per unit", "T · TOTL 2 % of the total". */
export function labelText(l: TaxLabel): string {
  const type = String(l.category_type ?? '0');
  const rate =
    type === '2' || type === 'AmountPerQuantity'
      ? `${percent.format(l.rate)} per unit`
      : type === '1' || type === 'TaxOnTotal'
        ? `${percent.format(l.rate)} % of the total`
        : `${percent.format(l.rate)} %`;
  return `${l.label} · ${l.category ? `${l.category} ` : ''}${rate}`;
}

function isPercentage(l: TaxLabel): boolean {
  const type = String(l.category_type ?? '0');
  return type === '0' || type === 'TaxOnNet';
}

/** The one percentage label with the tax's rate, or null. */
export function sameRate(tax: PartnerTax, labels: TaxLabel[]): string | null {
  if (tax.rate === null) return null;
  const hits = labels.filter((l) => isPercentage(l) && Math.abs(l.rate - (tax.rate as number)) < 1e-9);
  return hits.length === 1 ? hits[0].label : null;
}

/**
 * "Label A is 9 %, not 20 %": the label a tax gets (its own or the default) is a percentage of
 * another rate, so the V-SDC would compute other VAT than the platform; null when it matches or
 * cannot be compared (no rate, an amount per unit, a label no longer defined).
 */
export function rateMismatch(tax: PartnerTax, label: string, labels: TaxLabel[]): string | null {
  const l = labels.find((x) => x.label === label);
  if (tax.rate === null || !l || !isPercentage(l) || Number.isNaN(l.rate)) return null;
  if (Math.abs(l.rate - tax.rate) < 1e-9) return null;
  return `Label ${l.label} is ${percent.format(l.rate)} %, not ${percent.format(tax.rate)} %: the receipt’s VAT would differ`;
}

interface Choice {
  tax: PartnerTax;
  /** "" = the default label. */
  label: string;
  suggested: boolean;
}

function initialChoices(d: TaxMappingReply): Choice[] {
  return d.partner_taxes.map((tax) => {
    const mapped = d.tax_mapping[tax.key] ?? d.tax_mapping[tax.name];
    if (mapped !== undefined) return { tax, label: mapped, suggested: false };
    const same = sameRate(tax, d.labels);
    return { tax, label: same ?? '', suggested: same !== null };
  });
}

function MappingForm({
  orgCode,
  integration,
  data,
  onClose,
  onSaved,
}: Props & { data: TaxMappingReply }) {
  const [choices, setChoices] = useState<Choice[]>(() => initialChoices(data));
  const [defaultLabel, setDefaultLabel] = useState(data.default_label);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const platform = oauthPlatform(integration.type);
  const known = new Set(data.labels.map((l) => l.label));
  // A label the V-SDC no longer defines still shows, so saving does not change it silently.
  const options = (current: string) =>
    current && !known.has(current) ? [...data.labels, { label: current, rate: Number.NaN, category: 'no longer defined' }] : data.labels;

  const save = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    const mapping: Record<string, string> = { ...data.tax_mapping };
    for (const c of choices) {
      delete mapping[c.tax.key];
      delete mapping[c.tax.name];
      if (c.label) mapping[c.tax.key] = c.label;
    }
    try {
      onSaved(await integrationsApi.update(orgCode, integration.uid, { tax_mapping: mapping, default_label: defaultLabel }));
    } catch (err) {
      setError(err ?? 'failed');
      setBusy(false);
    }
  };

  const optionText = (l: TaxLabel) => (Number.isNaN(l.rate) ? `${l.label} · no longer defined by the V-SDC` : labelText(l));

  return (
    <Modal
      id="tax-mapping"
      title={`Tax mapping of ${integration.uid}`}
      size="wide"
      onClose={onClose}
      busy={busy}
      initialFocus="tax-mapping-default"
      footer={<ModalActions onCancel={onClose} busy={busy} form="tax-mapping-form" busyLabel="Saving…" label="Save" />}
    >
      {error !== null && <ApiErrorAlert error={error} fallback="The tax mapping could not be saved; please try again." />}
      <div class="modal-text">
        <p>
          Each {platform?.name ?? 'platform'} tax becomes a tax label of your certificate’s V-SDC on the fiscal invoice,
          and the V-SDC computes the tax at that label’s rate. The labels are the ones the V-SDC defines now for
          certificate <code>{integration.certificate_uid}</code>. A new mapping applies to invoices fiscalized from now
          on.
        </p>
      </div>
      <form id="tax-mapping-form" class="form" aria-label="Tax mapping" onSubmit={save} noValidate>
        <div class="field">
          <label class="field-label" for="tax-mapping-default">
            Default label
          </label>
          <select
            id="tax-mapping-default"
            class="field-input"
            value={defaultLabel}
            disabled={busy}
            aria-describedby="tax-mapping-default-hint"
            onChange={(e) => setDefaultLabel((e.currentTarget as HTMLSelectElement).value)}
          >
            {options(defaultLabel).map((l) => (
              <option key={l.label} value={l.label}>
                {optionText(l)}
              </option>
            ))}
          </select>
          <p class="field-hint" id="tax-mapping-default-hint">
            For every tax below left at “Default label”, and for taxes {platform?.name ?? 'the platform'} adds later.
          </p>
        </div>
        {choices.length === 0 ? (
          <p>{platform?.name ?? 'The platform'} lists no taxes for sales invoices.</p>
        ) : (
          <table class="table table--dense tax-mapping" aria-label={`${platform?.name ?? 'Platform'} taxes`}>
            <thead>
              <tr>
                <th scope="col">{platform?.name ?? 'Platform'} tax</th>
                <th scope="col">Rate</th>
                <th scope="col">V-SDC label</th>
              </tr>
            </thead>
            <tbody>
              {choices.map((c, i) => {
                const id = `tax-mapping-${i}`;
                const differs = rateMismatch(c.tax, c.label || defaultLabel, data.labels);
                const described = [c.suggested ? `${id}-same` : '', differs ? `${id}-rate` : ''].filter(Boolean).join(' ');
                return (
                  <tr key={c.tax.key} data-key={c.tax.key}>
                    <th scope="row">
                      <label for={id}>{c.tax.name}</label>
                    </th>
                    <td>{c.tax.rate === null ? '—' : `${percent.format(c.tax.rate)} %`}</td>
                    <td>
                      <select
                        id={id}
                        class="field-input"
                        value={c.label}
                        disabled={busy}
                        aria-describedby={described || undefined}
                        onChange={(e) => {
                          const label = (e.currentTarget as HTMLSelectElement).value;
                          setChoices(choices.map((x, k) => (k === i ? { ...x, label, suggested: false } : x)));
                        }}
                      >
                        <option value="">Default label ({defaultLabel})</option>
                        {options(c.label).map((l) => (
                          <option key={l.label} value={l.label}>
                            {optionText(l)}
                          </option>
                        ))}
                      </select>
                      {c.suggested && (
                        <p class="field-hint" id={`${id}-same`}>
                          Same rate; not saved yet
                        </p>
                      )}
                      {differs && (
                        <p class="field-hint field-hint--warning" id={`${id}-rate`}>
                          {differs}
                        </p>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </form>
    </Modal>
  );
}

export function TaxMappingDialog(props: Props) {
  const { orgCode, integration, onClose } = props;
  const { data, error, loading } = useResource<TaxMappingReply>(
    `${orgCode}/${integration.uid}`,
    (signal) => integrationsApi.taxMapping(orgCode, integration.uid, signal),
    'The taxes could not be read.',
  );
  if (data) return <MappingForm {...props} data={data} />;
  return (
    <Modal
      id="tax-mapping"
      title={`Tax mapping of ${integration.uid}`}
      size="wide"
      onClose={onClose}
      footer={
        <button type="button" class="btn btn--secondary" onClick={onClose}>
          Close
        </button>
      }
    >
      {loading || !error ? (
        <Loading label="Reading the taxes and the V-SDC’s labels…" />
      ) : (
        <ErrorAlert message={error} />
      )}
    </Modal>
  );
}
