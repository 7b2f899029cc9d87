import type { Translate } from '../kernel/jobs/job.js';
import { formatOf } from './formats/index.js';
import type { FormatId, TrustList, Verification } from './record.js';

/** Which format a payload claims to be, by its first characters (the VC is JSON). */
export function detectFormat(payload: string): FormatId | undefined {
  const text = payload.trim();
  if (/^HC1:/i.test(text)) return 'eu-dcc';
  if (/^shc:\//i.test(text)) return 'shc';
  if (text.startsWith('{')) return 'w3c-vc';
  return undefined;
}

/**
 * Verifies any payload against the tenant's trust list. Never throws: anything that is not a
 * certificate of a known format is `malformed`, and a format that fails unexpectedly is too.
 */
export async function verifyPayload(payload: string, trust: TrustList, now = new Date()): Promise<Verification> {
  const id = detectFormat(payload);
  if (!id) return { status: 'malformed', detail: 'not a certificate this platform reads (HC1:, shc:/ or a JSON credential)' };
  const format = formatOf(id);
  if (!format) return { status: 'malformed', format: id, detail: `${id} certificates cannot be verified here yet` };
  try {
    return await format.verify(payload.trim(), trust, now);
  } catch {
    return { status: 'malformed', format: id, detail: 'the certificate could not be read' };
  }
}

/** The answer for the API: the status and the verifier's message in their language. */
export function verificationAnswer(result: Verification, t: Translate) {
  const message = t(`certificates:verification.${result.status}`);
  if (result.status === 'valid' || result.status === 'revoked') {
    return { status: result.status, format: result.format, message, record: result.record };
  }
  return { status: result.status, ...(result.format ? { format: result.format } : {}), message, detail: result.detail };
}
