// Words shown for the API's enumerations (docs/api/fiscal-invoices.md).

const INVOICE_TYPES: Record<string, string> = {
  normal: 'Normal',
  advance: 'Advance',
  proforma: 'Proforma',
  copy: 'Copy',
  training: 'Training',
};

const TRANSACTION_TYPES: Record<string, string> = {
  sale: 'Sale',
  refund: 'Refund',
};

const PAYMENT_METHODS: Record<string, string> = {
  cash: 'Cash',
  card: 'Card',
  check: 'Check',
  wire_transfer: 'Wire Transfer',
  voucher: 'Voucher',
  mobile_money: 'Mobile Money',
  other: 'Other',
};

function word(map: Record<string, string>, v: string | null | undefined): string {
  if (!v) return '';
  return map[v] ?? v.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

export const invoiceTypeLabel = (v: string | null | undefined) => word(INVOICE_TYPES, v);
export const transactionTypeLabel = (v: string | null | undefined) => word(TRANSACTION_TYPES, v);
export const paymentMethodLabel = (v: string | null | undefined) => word(PAYMENT_METHODS, v);

// Platforms whose invoices have a page of their own to link back to.
const SOURCE_PLATFORMS: Record<string, string> = {
  xero: 'Xero',
  zoho_books: 'Zoho Books',
  zoho: 'Zoho Books',
};

/** "View in Xero" for an invoice that came from Xero, else a neutral label. */
export function sourceLinkLabel(integrationType: string | null | undefined): string {
  const name = integrationType ? SOURCE_PLATFORMS[integrationType] : undefined;
  return name ? `View in ${name}` : 'View source invoice';
}
