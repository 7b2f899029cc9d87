import QRCode from 'qrcode';

const escapeAttribute = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * The appointment id as a QR code, as inline SVG (no image request, prints sharply). The centre's
 * scanner reads the id; the label tells a screen reader what the picture is.
 */
export async function qrSvg(appointmentId: string, label: string): Promise<string> {
  const svg = await QRCode.toString(appointmentId, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 });
  return svg.trim().replace(/^<svg /, `<svg role="img" aria-label="${escapeAttribute(label)}" class="qr" `);
}
