import QRCode from 'qrcode';
import type { QrSpec } from './record.js';

/**
 * Draws a QR code exactly as the format asks: its segments with their modes (EU DCC: one
 * alphanumeric segment; SMART Health Cards: byte `shc:/` then numeric) and its error correction.
 * Left to itself, qrcode would split the text into mixed segments, which verifiers refuse.
 */
export async function qrImage(spec: QrSpec, type: 'png' | 'svg'): Promise<Buffer | string> {
  const segments = spec.segments.map((segment) => ({ data: segment.data, mode: segment.mode }));
  const options = { errorCorrectionLevel: spec.errorCorrection, margin: 4 };
  if (type === 'svg') return QRCode.toString(segments as never, { ...options, type: 'svg' });
  return QRCode.toBuffer(segments as never, { ...options, type: 'png', scale: 4 });
}
