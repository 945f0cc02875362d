// Upload Certificate: the taxpayer's PFX file, its password and the PAC. The
// file is read in the browser and sent base64-encoded
// (POST /api/orgs/{org}/certificates, docs/api/certificates.md).
//
// Checked here before anything is sent: a file is chosen, it is at most
// 64 KiB, the password fits (128 bytes), the PAC is 6 letters or digits. The
// server checks everything again; each refusal (wrong password, not a PFX,
// expired, key mismatch, not a TaxCore certificate, already uploaded, ...)
// comes back with its own hint and detail, shown in the dialog, and the field
// at fault is marked.
//
// Standalone: the Certificates page opens it, and the Create Integration flow
// reuses it; both learn about the new certificate through onUploaded.
import { useState } from 'preact/hooks';
import { ApiError } from '../api';
import { certificates, fileToBase64, MAX_PFX_BYTES } from '../certificates';
import type { Certificate } from '../types';
import { ApiErrorAlert } from './ApiErrorAlert';
import { FileField } from './FileField';
import { Modal, ModalActions } from './Modal';
import { TextField } from './TextField';

interface Props {
  orgCode: string;
  onClose: () => void;
  onUploaded: (certificate: Certificate) => void;
}

type Field = 'file' | 'password' | 'pac';
const ORDER: Field[] = ['file', 'password', 'pac'];
const FIELD_IDS: Record<Field, string> = { file: 'cert-file', password: 'cert-password', pac: 'cert-pac' };

// Which field a server refusal is about (docs/errors.md, 4000-4008).
const ERROR_FIELD: Record<number, Field> = {
  1003: 'file', // pfx_base64 is not base64
  4000: 'file',
  4001: 'password',
  4002: 'file',
  4003: 'file',
  4004: 'file',
  4005: 'file',
  4006: 'file',
  4007: 'pac',
  4008: 'file',
};

const PAC_RE = /^[A-Za-z0-9]{6}$/;

function kib(bytes: number): string {
  return `${Math.ceil(bytes / 1024)} KiB`;
}

function check(file: File | null, password: string, pac: string): Partial<Record<Field, string>> {
  const errors: Partial<Record<Field, string>> = {};
  if (!file) errors.file = 'Choose the PFX file TaxCore issued (.pfx or .p12).';
  else if (file.size === 0) errors.file = 'This file is empty; choose the PFX file TaxCore issued.';
  else if (file.size > MAX_PFX_BYTES)
    errors.file = `This file is ${kib(file.size)}; a certificate file is at most 64 KiB (TaxCore's are a few KiB).`;
  if (new TextEncoder().encode(password).length > 128) errors.password = 'The password can be at most 128 characters.';
  const p = pac.trim();
  if (!p) errors.pac = 'Enter the PAC delivered with the certificate.';
  else if (!PAC_RE.test(p)) errors.pac = 'The PAC is exactly 6 letters or digits.';
  return errors;
}

export function UploadCertificateDialog({ orgCode, onClose, onUploaded }: Props) {
  const [file, setFile] = useState<File | null>(null);
  const [password, setPassword] = useState('');
  const [pac, setPac] = useState('');
  const [submitted, setSubmitted] = useState(false);
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [busy, setBusy] = useState(false);
  const [apiError, setApiError] = useState<unknown>(null);
  const [apiField, setApiField] = useState<Field | null>(null);

  const revalidate = (f: File | null, pw: string, p: string) => {
    if (submitted) setErrors(check(f, pw, p));
  };

  const onSubmit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    setSubmitted(true);
    const errs = check(file, password, pac);
    setErrors(errs);
    const bad = ORDER.find((k) => errs[k]);
    if (bad || !file) {
      document.getElementById(FIELD_IDS[bad ?? 'file'])?.focus();
      return;
    }
    setBusy(true);
    setApiError(null);
    setApiField(null);
    try {
      const pfx_base64 = await fileToBase64(file);
      const cert = await certificates.upload(orgCode, { pfx_base64, password, pac: pac.trim() });
      onUploaded(cert);
    } catch (err) {
      const field = err instanceof ApiError && err.code !== null ? ERROR_FIELD[err.code] ?? null : null;
      setApiError(err ?? 'failed');
      setApiField(field);
      setBusy(false);
    }
  };

  return (
    <Modal
      id="upload-certificate"
      title="Upload Certificate"
      onClose={onClose}
      busy={busy}
      initialFocus={FIELD_IDS.file}
      footer={
        <ModalActions
          onCancel={onClose}
          busy={busy}
          form="upload-certificate-form"
          busyLabel="Uploading…"
          label="Upload"
        />
      }
    >
      <p class="modal-text">
        The taxpayer certificate (PFX file) and password the tax authority issued, with the PAC that came with them.
        fiscalhub signs invoices with it; the file, password and PAC are stored encrypted and never shown again.
      </p>
      {apiError !== null && (
        <ApiErrorAlert
          error={apiError}
          fallback={
            apiError instanceof DOMException
              ? 'The browser could not read the file; choose it again.'
              : 'The upload failed; please try again.'
          }
        />
      )}
      <form id="upload-certificate-form" class="form" noValidate onSubmit={onSubmit} aria-label="Upload Certificate">
        <FileField
          id={FIELD_IDS.file}
          label="Certificate file (PFX)"
          accept=".pfx,.p12,application/x-pkcs12"
          hint="The .pfx or .p12 file TaxCore issued; at most 64 KiB."
          error={errors.file}
          invalid={apiField === 'file'}
          disabled={busy}
          onChange={(f) => {
            setFile(f);
            if (apiField === 'file') setApiField(null);
            revalidate(f, password, pac);
          }}
        />
        <TextField
          id={FIELD_IDS.password}
          label="Password"
          type="password"
          autoComplete="off"
          hint="The 8-character password delivered with the certificate (not the PAC)."
          required={false}
          value={password}
          error={errors.password}
          invalid={apiField === 'password'}
          disabled={busy}
          onInput={(v) => {
            setPassword(v);
            if (apiField === 'password') setApiField(null);
            revalidate(file, v, pac);
          }}
        />
        <TextField
          id={FIELD_IDS.pac}
          label="PAC"
          autoComplete="off"
          autoCapitalize="characters"
          spellCheck={false}
          maxLength={6}
          hint="6 letters or digits, delivered with the certificate."
          value={pac}
          error={errors.pac}
          invalid={apiField === 'pac'}
          disabled={busy}
          onInput={(v) => {
            setPac(v);
            if (apiField === 'pac') setApiField(null);
            revalidate(file, password, v);
          }}
        />
      </form>
    </Modal>
  );
}
