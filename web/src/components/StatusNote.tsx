// A confirmation of something the user just did ("Certificate uploaded"),
// announced politely. The live region is always in the page so that screen
// readers notice when a message appears in it.
import { Icon } from './Icon';

interface Props {
  message: string | null;
}

export function StatusNote({ message }: Props) {
  return (
    <div role="status" class={message ? 'alert alert--success' : 'status-empty'}>
      {message && (
        <>
          <Icon name="check" class="alert-icon" />
          <div class="alert-body">
            <p class="alert-message">{message}</p>
          </div>
        </>
      )}
    </div>
  );
}
