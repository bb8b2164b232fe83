// Reads the DejaVu Sans font a renderer would load (a PDF or image
// library): a package of data only, which runtime-packages adds.
const fs = require("fs");

const file = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
const font = fs.readFileSync(file);
const version = font.readUInt32BE(0);
if (version !== 0x00010000) {
  console.error(`${file} is not a TrueType font (0x${version.toString(16)})`);
  process.exit(1);
}
const tables = font.readUInt16BE(4);
console.log(`${file}: TrueType, ${tables} tables, ${font.length} bytes`);
