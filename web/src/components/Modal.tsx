// A modal dialog on the native <dialog> element: showModal() gives the focus
// trap, the inert page behind it and Escape for free. The parent renders it
// only while it is open and unmounts it to close it; focus then returns to
// the element that had it before (the button that opened the dialog).
//
// While `busy` (a request is in flight) Escape and the close button do
// nothing, so a half-finished action is never hidden from the user.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { Icon } from './Icon';

interface Props {
  id: string;
  title: ComponentChildren;
  onClose: () => void;
  busy?: boolean;
  size?: 'narrow' | 'wide';
  /** Rendered in the header, after the title (e.g. a status badge). */
  aside?: ComponentChildren;
  footer?: ComponentChildren;
  /** The id of the element to focus on opening (else the first focusable one). */
  initialFocus?: string;
  children: ComponentChildren;
}

export function Modal({ id, title, onClose, busy, size = 'narrow', aside, footer, initialFocus, children }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const busyRef = useRef(busy);
  busyRef.current = busy;

  useEffect(() => {
    const dialog = ref.current;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (dialog && !dialog.open) dialog.showModal();
    if (initialFocus) document.getElementById(initialFocus)?.focus();
    return () => {
      if (dialog?.open) dialog.close();
      if (opener && opener.isConnected) opener.focus();
    };
  }, []);

  const requestClose = () => {
    if (!busyRef.current) onClose();
  };

  const titleId = `${id}-title`;
  return (
    <dialog
      ref={ref}
      id={id}
      class={`modal modal--${size}`}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        requestClose();
      }}
    >
      <div class="modal-header">
        <h2 class="modal-title" id={titleId}>
          {title}
        </h2>
        {aside}
        <button type="button" class="btn btn--ghost btn--icon modal-close" aria-label="Close" onClick={requestClose} disabled={busy}>
          <Icon name="close" />
        </button>
      </div>
      <div class="modal-body">{children}</div>
      {footer && <div class="modal-footer">{footer}</div>}
    </dialog>
  );
}

interface ActionsProps {
  onCancel: () => void;
  /** A request is in flight: both buttons are disabled and the primary one shows busyLabel. */
  busy?: boolean;
  /** The primary button calls onConfirm; without it, it submits its form (form: the form's id,
   * when the button is not inside it). */
  onConfirm?: () => void;
  form?: string;
  label: ComponentChildren;
  busyLabel?: ComponentChildren;
  /** The primary button is disabled (besides while busy). */
  disabled?: boolean;
  /** The primary button does something that cannot be undone. */
  danger?: boolean;
  cancelId?: string;
}

/** A dialog's footer: Cancel, then the primary button. */
export function ModalActions({ onCancel, busy, form, onConfirm, label, busyLabel, disabled, danger, cancelId }: ActionsProps) {
  return (
    <>
      <button type="button" id={cancelId} class="btn btn--secondary" onClick={onCancel} disabled={busy}>
        Cancel
      </button>
      <button
        type={onConfirm ? 'button' : 'submit'}
        form={form}
        class={danger ? 'btn btn--danger' : 'btn btn--primary'}
        onClick={onConfirm}
        disabled={busy || disabled}
      >
        {busy && busyLabel !== undefined ? busyLabel : label}
      </button>
    </>
  );
}
