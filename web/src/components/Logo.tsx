// The fiscalhub mark and word, drawn inline.
export function Logo() {
  return (
    <span class="logo">
      <svg class="logo-mark" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
        <rect width="32" height="32" rx="7" />
        <path d="M10 9h12v3h-8.5v3.5H21v3h-7.5V23H10z" />
      </svg>
      <span class="logo-word">fiscalhub</span>
    </span>
  );
}
