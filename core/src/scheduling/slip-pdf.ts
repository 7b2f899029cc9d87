import { A4, drawQrCode, languageT, newPdf, qrModules, type Translate } from '../kernel/pdf/pdf-document.js';
import { drawText } from '../kernel/pdf/pdf-text.js';
import type { Tenant } from '../kernel/tenancy/tenant.js';
import type { AppointmentCard } from './page-views.js';

const MARGIN = 50;
const QR_SIZE = 140;

/**
 * The appointment slip as a PDF: every label in the citizen's language with English beside it,
 * the security code large, and the appointment id as a QR code drawn as vector squares.
 */
export async function slipPdf(tenant: Tenant, lng: string, slip: AppointmentCard, t: Translate): Promise<Buffer> {
  // English beside: a tenant that does not offer English still has the English language pack.
  const en = lng === 'en' ? undefined : languageT(tenant, 'en', 'scheduling');
  const rtl = tenant.renderData(lng).dir === 'rtl';
  const label = (key: string) => {
    const local = t(`scheduling:slip.${key}`);
    const beside = en?.(`scheduling:slip.${key}`);
    return beside && beside !== local ? `${local} · ${beside}` : local;
  };
  const { doc, surface, finish } = newPdf({
    title: `${t('scheduling:slip.title')} ${slip.id}`,
    author: tenant.renderData(lng).siteName,
    lang: lng,
    margin: MARGIN,
  });

  const full = A4.width - 2 * MARGIN;
  const column = full - QR_SIZE - 20;
  const x = rtl ? MARGIN + QR_SIZE + 20 : MARGIN;
  let y = MARGIN;
  y = drawText(surface, tenant.renderData(lng).siteName, MARGIN, y, full, { size: 11, color: '#555555', rtl });
  y = drawText(surface, label('title'), MARGIN, y + 4, full, { size: 20, rtl });
  const top = y + 10;

  drawQrCode(doc, qrModules(slip.id), rtl ? MARGIN : A4.width - MARGIN - QR_SIZE, top, QR_SIZE);
  y = top;
  const rows: [string, string][] = [
    ['name', slip.name],
    ['referenceId', slip.referenceId],
    ['appointmentId', slip.id],
    ['centre', slip.centre],
    ['address', slip.address],
    ['date', slip.day],
    ['slot', slip.slot],
    ['vaccine', slip.vaccine],
    ['dose', slip.dose],
    ['state', slip.state],
  ];
  for (const [key, value] of rows) {
    if (!value) continue;
    y = drawText(surface, label(key), x, y, column, { size: 9, color: '#555555', rtl });
    y = drawText(surface, value, x, y, column, { size: 13, rtl }) + 4;
  }
  y = Math.max(y, top + QR_SIZE) + 12;
  y = drawText(surface, label('securityCode'), MARGIN, y, full, { size: 11, color: '#555555', rtl });
  y = drawText(surface, slip.securityCode.split('').join(' '), MARGIN, y, full, { size: 40, rtl });
  drawText(surface, t('scheduling:slip.instructions'), MARGIN, y + 8, full, { size: 10, color: '#333333', rtl });
  return finish();
}
