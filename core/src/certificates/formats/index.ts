import type { CertificateFormat, FormatId } from '../record.js';
import { euDcc } from './eu-dcc.js';
import { smartHealthCard } from './shc.js';
import { verifiableCredential } from './vc.js';

/** Every format the platform can issue, by id; a tenant issues those its file lists (`certificates.formats`). */
export const certificateFormats: Partial<Record<FormatId, CertificateFormat>> = {
  'eu-dcc': euDcc,
  shc: smartHealthCard,
  'w3c-vc': verifiableCredential,
};

export function formatOf(id: FormatId): CertificateFormat | undefined {
  return certificateFormats[id];
}
