import { useEffect } from 'preact/hooks';

/** Sets the document title for the page being shown. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · fiscalhub`;
  }, [title]);
}
