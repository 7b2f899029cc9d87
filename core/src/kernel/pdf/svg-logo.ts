/**
 * A theme's logo (SVG) drawn into a PDF as vector shapes. pdfkit draws SVG path data but not SVG
 * documents, and the themes' logos are small flat drawings, so this knows just what they use:
 * `circle`, `rect` and `path` with fill, stroke, stroke-width and stroke-linecap, inside `g`
 * groups that set a fill or a clip path of circles and rectangles. Anything else (text, gradients,
 * transforms, images) makes it answer false, and the caller prints the issuer's name alone.
 */

type Attributes = Record<string, string>;

interface Style {
  fill?: string;
  stroke?: string;
  strokeWidth?: number;
  lineCap?: string;
}

const SUPPORTED = new Set(['svg', 'title', 'desc', 'defs', 'clipPath', 'g', 'circle', 'rect', 'path']);

function attributesOf(text: string): Attributes {
  const attributes: Attributes = {};
  for (const match of text.matchAll(/([\w:-]+)\s*=\s*"([^"]*)"/g)) attributes[match[1]] = match[2];
  return attributes;
}

const colour = (value: string | undefined): string | undefined => (value === undefined || value === 'none' ? undefined : value);

/** Draws the logo scaled into a `size`-point square at (x, y); false if the SVG uses more than this knows. */
export function drawSvgLogo(doc: PDFKit.PDFDocument, svg: string, x: number, y: number, size: number): boolean {
  const tags = [...svg.replace(/<title>[^<]*<\/title>|<desc>[^<]*<\/desc>/g, '').matchAll(/<(\/?)([\w:-]+)([^>]*?)(\/?)>/g)].map(
    ([, closing, name, rest, selfClosing]) => ({
      closing: closing === '/',
      name,
      attributes: attributesOf(rest),
      selfClosing: selfClosing === '/',
    }),
  );
  if (tags.length === 0 || tags[0].name !== 'svg' || tags.some((tag) => !SUPPORTED.has(tag.name) || tag.attributes.transform)) return false;
  const box = (tags[0].attributes.viewBox ?? '0 0 40 40').split(/[\s,]+/).map(Number);
  if (box.length !== 4 || box.some(Number.isNaN) || box[2] <= 0 || box[3] <= 0) return false;

  // Clip paths first: each id to the shapes it is made of.
  const clips = new Map<string, Attributes[]>();
  let clipId: string | undefined;
  for (const tag of tags) {
    if (tag.name === 'clipPath') clipId = tag.closing ? undefined : tag.attributes.id;
    else if (clipId && !tag.closing) clips.set(clipId, [...(clips.get(clipId) ?? []), { ...tag.attributes, shape: tag.name }]);
  }

  const shape = (name: string, a: Attributes) => {
    const n = (key: string) => Number(a[key] ?? 0);
    if (name === 'circle') doc.circle(n('cx'), n('cy'), n('r'));
    else if (name === 'rect') doc.rect(n('x'), n('y'), n('width'), n('height'));
    else if (name === 'path' && a.d) doc.path(a.d);
    else return false;
    return true;
  };

  doc.save();
  doc
    .translate(x, y)
    .scale(size / Math.max(box[2], box[3]))
    .translate(-box[0], -box[1]);
  const styles: Style[] = [{ fill: '#000000' }];
  let inClip = false;
  for (const tag of tags.slice(1)) {
    if (tag.name === 'clipPath') inClip = !tag.closing;
    if (inClip || tag.name === 'clipPath' || tag.name === 'defs' || tag.name === 'svg') continue;
    const a = tag.attributes;
    const inherited = styles.at(-1)!;
    const style: Style = {
      fill: a.fill !== undefined ? colour(a.fill) : inherited.fill,
      stroke: a.stroke !== undefined ? colour(a.stroke) : inherited.stroke,
      strokeWidth: a['stroke-width'] !== undefined ? Number(a['stroke-width']) : inherited.strokeWidth,
      lineCap: a['stroke-linecap'] ?? inherited.lineCap,
    };
    if (tag.name === 'g') {
      if (tag.closing) {
        styles.pop();
        doc.restore();
        continue;
      }
      doc.save();
      styles.push(style);
      const clip = /^url\(#([^)]+)\)$/.exec(a['clip-path'] ?? '')?.[1];
      if (clip) {
        for (const part of clips.get(clip) ?? []) shape(part.shape, part);
        doc.clip();
      }
      continue;
    }
    if (tag.closing) continue;
    if (style.fill && shape(tag.name, a)) doc.fillColor(style.fill).fill();
    if (style.stroke && shape(tag.name, a)) {
      doc
        .lineWidth(style.strokeWidth ?? 1)
        .lineCap((style.lineCap as 'round' | 'butt' | 'square') ?? 'butt')
        .strokeColor(style.stroke)
        .stroke();
    }
  }
  doc.restore();
  return true;
}
