interface Props {
  label: string;
}

export function Loading({ label }: Props) {
  return (
    <div class="loading" role="status">
      <span class="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}
