// A small square mark for each integration type. These are neutral
// monograms in each platform's colour family, not the partners' trademarks.
interface Props {
  type: string;
}

const MARKS: Record<string, { text: string; tone: string }> = {
  xero: { text: 'X', tone: 'xero' },
  zoho_books: { text: 'Z', tone: 'zoho' },
  zoho: { text: 'Z', tone: 'zoho' },
  webhook: { text: '', tone: 'webhook' },
  custom_webhook: { text: '', tone: 'webhook' },
  custom: { text: '', tone: 'api' },
  custom_integration: { text: '', tone: 'api' },
  api: { text: '', tone: 'api' },
};

export function TypeIcon({ type }: Props) {
  const mark = MARKS[type] ?? { text: type.slice(0, 1).toUpperCase(), tone: 'other' };
  return (
    <svg class={`type-icon type-icon--${mark.tone}`} viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <rect width="24" height="24" rx="6" />
      {mark.tone === 'webhook' && (
        <path class="type-icon-line" d="M9.5 8.5a3 3 0 1 1 4.2 2.7L16 15M8 15.5a3 3 0 1 1-1-5.8M16.5 18a3 3 0 1 1 0-5H11" />
      )}
      {mark.tone === 'api' && <path class="type-icon-line" d="M9 8l-4 4 4 4M15 8l4 4-4 4M13 7l-2 10" />}
      {mark.text && (
        <text x="12" y="16.5" text-anchor="middle">
          {mark.text}
        </text>
      )}
    </svg>
  );
}
