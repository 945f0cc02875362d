// The taxpayer certificates endpoints (docs/api/certificates.md), typed.
import { api, seg } from './api';
import type { Certificate, CertificatesReply } from './types';

export interface CertificateUpload {
  pfx_base64: string;
  password: string;
  pac: string;
}

/** The largest PFX file the server accepts (error 4006 above it). */
export const MAX_PFX_BYTES = 64 * 1024;

export const certificates = {
  list: (org: string, signal?: AbortSignal) =>
    api.get<CertificatesReply>(`/api/orgs/${seg(org)}/certificates`, { signal }),
  upload: (org: string, body: CertificateUpload) =>
    api.post<Certificate>(`/api/orgs/${seg(org)}/certificates`, body),
  revoke: (org: string, uid: string) =>
    api.post<Certificate>(`/api/orgs/${seg(org)}/certificates/${seg(uid)}/revoke`),
};

/** A file's bytes in standard base64 (what pfx_base64 expects). */
export async function fileToBase64(file: Blob): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return window.btoa(binary);
}
