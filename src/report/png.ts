/**
 * SVG → PNG with @resvg/resvg-js (a Rust renderer shipped as a prebuilt binary in
 * the npm package: no browser, no network). Text uses DejaVu Sans (or Liberation
 * Sans) loaded from the usual Debian paths; scanning every system font instead
 * costs ~0.15 s per image, so that is only the fallback.
 */
import fs from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import { FONT } from './svg.js';

const FONT_FILES = [
  ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf'],
  ['/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf', '/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf'],
];

let fonts: { files: string[]; family: string } | null | undefined;
function fontChoice(): { files: string[]; family: string } | null {
  if (fonts === undefined) {
    const set = FONT_FILES.find((fs2) => fs2.every((f) => fs.existsSync(f)));
    fonts = set ? { files: set, family: set[0].includes('DejaVu') ? 'DejaVu Sans' : 'Liberation Sans' } : null;
  }
  return fonts;
}

/** PNG bytes of an SVG, rendered `scale` times its size (2 = crisp on high-DPI screens). */
export function svgToPng(svg: string, scale = 2): Buffer {
  const width = Number(/<svg[^>]*\swidth="(\d+(?:\.\d+)?)"/.exec(svg)?.[1] ?? 520);
  const f = fontChoice();
  const r = new Resvg(svg, {
    fitTo: { mode: 'width', value: Math.round(width * scale) },
    font: f
      ? { loadSystemFonts: false, fontFiles: f.files, defaultFontFamily: f.family, sansSerifFamily: f.family }
      : { loadSystemFonts: true, defaultFontFamily: FONT.split(',')[0].trim() },
    background: '#ffffff',
  });
  return r.render().asPng();
}
