// Makes media/icon.png, the 128×128 marketplace icon (package.json "icon"), from the activity-bar
// icon media/lark-upload.svg: its strokes in white on a rounded square in Lark blue.
//   node media/make-icon.mjs     (sharp, a devDependency, renders the SVG)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const here = path.dirname(fileURLToPath(import.meta.url));
const glyph = fs.readFileSync(path.join(here, 'lark-upload.svg'), 'utf8');
// the 24×24 glyph's children, drawn white and scaled to 84 px in the middle of the 128 px square
const inner = /<svg[^>]*>([\s\S]*)<\/svg>/.exec(glyph)?.[1];
if (!inner) throw new Error('media/lark-upload.svg: no <svg> element');
const size = 128;
const scale = 84 / 24;
const offset = (size - 24 * scale) / 2;
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}">
  <rect width="${size}" height="${size}" rx="24" fill="#3370FF"/>
  <g transform="translate(${offset} ${offset}) scale(${scale})" fill="none" stroke="#FFFFFF" stroke-width="1.6"
     stroke-linecap="round" stroke-linejoin="round">${inner}</g>
</svg>`;
const out = path.join(here, 'icon.png');
await sharp(Buffer.from(svg)).png({ compressionLevel: 9 }).toFile(out);
const meta = await sharp(out).metadata();
console.log(`${path.relative(process.cwd(), out)}: ${meta.width}×${meta.height} ${meta.format}, ${fs.statSync(out).size} bytes`);
