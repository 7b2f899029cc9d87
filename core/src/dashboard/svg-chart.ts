/**
 * Charts as SVG written on the server: no script, no library, a few kilobytes each. Every chart
 * is an image with a title and a description (`role="img"`, `aria-labelledby`); the page puts
 * the same figures in a data table after it, which is what screen readers and copy-paste use.
 * Colours come from the theme's tokens through CSS classes (`.chart-bar` uses `--brand`), so a
 * chart follows the tenant's theme. In a right-to-left page time runs right to left and bars
 * grow from the right.
 */
export interface ChartPoint {
  /** The label under a column or beside a bar (already in the page's language). */
  label: string;
  value: number;
  /** The value as the page writes it (Intl in the page's language). */
  display: string;
}

export interface ChartText {
  id: string;
  title: string;
  desc: string;
  rtl: boolean;
}

const escapeXml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function frame(chart: ChartText, width: number, height: number, content: string): string {
  return (
    `<svg class="chart" role="img" aria-labelledby="${chart.id}-title ${chart.id}-desc" viewBox="0 0 ${width} ${height}"` +
    ` width="100%" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">` +
    `<title id="${chart.id}-title">${escapeXml(chart.title)}</title><desc id="${chart.id}-desc">${escapeXml(chart.desc)}</desc>${content}</svg>`
  );
}

const round = (n: number): number => Math.round(n * 10) / 10;

/**
 * Vertical columns, one per point, in the order given (oldest first): left to right, or right
 * to left in an RTL page. Labels every `labelEvery` columns so thirty days stay readable.
 */
export function columnChart(chart: ChartText, points: ChartPoint[], labelEvery = 5): string {
  const width = 640;
  const height = 220;
  const top = 24;
  const bottom = 28;
  // Room for half a date label beyond the first and the last column.
  const side = 32;
  const plot = height - top - bottom;
  const max = Math.max(1, ...points.map((p) => p.value));
  const step = (width - 2 * side) / Math.max(1, points.length);
  const bar = Math.max(1, step * 0.7);
  const parts: string[] = [`<line class="chart-axis" x1="${side}" x2="${width - side}" y1="${top + plot}" y2="${top + plot}"/>`];
  points.forEach((point, index) => {
    const slot = chart.rtl ? points.length - 1 - index : index;
    const x = side + slot * step + (step - bar) / 2;
    const h = (point.value / max) * plot;
    const y = top + plot - h;
    parts.push(
      `<rect class="chart-bar" x="${round(x)}" y="${round(y)}" width="${round(bar)}" height="${round(h)}"><title>${escapeXml(`${point.label}: ${point.display}`)}</title></rect>`,
    );
    if (index % labelEvery === 0 || index === points.length - 1) {
      parts.push(
        `<text class="chart-label" x="${round(x + bar / 2)}" y="${height - 8}" text-anchor="middle">${escapeXml(point.label)}</text>`,
      );
    }
  });
  const peak = points.find((p) => p.value === max);
  if (peak && peak.value > 0) {
    parts.push(
      `<text class="chart-label" x="${chart.rtl ? width - side : side}" y="14" text-anchor="start">${escapeXml(peak.display)}</text>`,
    );
  }
  return frame(chart, width, height, parts.join(''));
}

/**
 * Horizontal bars, one per point, top to bottom in the order given, each with its label and
 * value. In an RTL page the label is on the right and the bar grows leftwards.
 */
export function barChart(chart: ChartText, points: ChartPoint[]): string {
  const width = 640;
  const row = 26;
  const labelWidth = 200;
  const valueWidth = 90;
  const height = Math.max(1, points.length) * row + 8;
  const plot = width - labelWidth - valueWidth;
  const max = Math.max(1, ...points.map((p) => p.value));
  const parts = points.map((point, index) => {
    const y = 4 + index * row;
    const w = Math.max(point.value > 0 ? 1 : 0, (point.value / max) * plot);
    const middle = y + row / 2 + 5;
    // text-anchor "start"/"end" follow the text's direction; `direction` on the svg sets it.
    const label = chart.rtl
      ? `<text class="chart-label" x="${width - 4}" y="${middle}" text-anchor="start">${escapeXml(point.label)}</text>`
      : `<text class="chart-label" x="4" y="${middle}" text-anchor="start">${escapeXml(point.label)}</text>`;
    const barX = chart.rtl ? width - labelWidth - w : labelWidth;
    const valueX = chart.rtl ? width - labelWidth - w - 6 : labelWidth + w + 6;
    return (
      `${label}<rect class="chart-bar" x="${round(barX)}" y="${y + 4}" width="${round(w)}" height="${row - 8}"/>` +
      `<text class="chart-value" x="${round(valueX)}" y="${middle}" text-anchor="start">${escapeXml(point.display)}</text>`
    );
  });
  return frame(chart, width, height, parts.join(''));
}
