// @ts-check
/**
 * Reads an image's format, pixel size and EXIF orientation from its first bytes, without decoding it:
 * a camera file too large to decode safely is refused before it can exhaust the phone's memory.
 */

function jpegOrientation(view, start, length) {
  // APP1 "Exif\0\0" then a TIFF header; orientation is tag 0x0112 of IFD0.
  if (length < 16 || view.getUint32(start) !== 0x45786966 || view.getUint16(start + 4) !== 0) return 1;
  const tiff = start + 6;
  const little = view.getUint16(tiff) === 0x4949;
  const ifd = tiff + view.getUint32(tiff + 4, little);
  if (ifd + 2 > view.byteLength) return 1;
  const entries = view.getUint16(ifd, little);
  for (let i = 0; i < entries; i += 1) {
    const at = ifd + 2 + i * 12;
    if (at + 12 > view.byteLength) break;
    if (view.getUint16(at, little) === 0x0112) return view.getUint16(at + 8, little) || 1;
  }
  return 1;
}

const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

function readJpeg(view) {
  let offset = 2;
  let orientation = 1;
  while (offset + 4 <= view.byteLength) {
    if (view.getUint8(offset) !== 0xff) return null;
    const marker = view.getUint8(offset + 1);
    if (marker === 0xff) { offset += 1; continue; }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) { offset += 2; continue; }
    const length = view.getUint16(offset + 2);
    if (length < 2) return null;
    if (marker === 0xe1) orientation = jpegOrientation(view, offset + 4, length - 2);
    if (SOF.has(marker)) {
      if (offset + 9 > view.byteLength) return null;
      return { format: 'jpeg', height: view.getUint16(offset + 5), width: view.getUint16(offset + 7), orientation };
    }
    if (marker === 0xda || marker === 0xd9) return null; // scan data before any frame header: corrupt
    offset += 2 + length;
  }
  return null;
}

function readWebp(view) {
  const chunk = String.fromCharCode(...[12, 13, 14, 15].map((i) => view.getUint8(i)));
  if (chunk === 'VP8X' && view.byteLength >= 30) {
    const u24 = (i) => view.getUint8(i) | (view.getUint8(i + 1) << 8) | (view.getUint8(i + 2) << 16);
    return { format: 'webp', width: u24(24) + 1, height: u24(27) + 1, orientation: 1 };
  }
  if (chunk === 'VP8L' && view.byteLength >= 25) {
    const bits = view.getUint32(21, true);
    return { format: 'webp', width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1, orientation: 1 };
  }
  if (chunk === 'VP8 ' && view.byteLength >= 30) {
    return { format: 'webp', width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff, orientation: 1 };
  }
  return null;
}

/**
 * The header of a JPEG, PNG or WebP: {format, width, height, orientation} with width and height as
 * displayed (EXIF orientations 5–8 swap them); null when the bytes are not a readable image header.
 */
export function readImageHeader(buffer) {
  const view = new DataView(buffer);
  if (view.byteLength < 24) return null;
  let header = null;
  if (view.getUint16(0) === 0xffd8) header = readJpeg(view);
  else if (view.getUint32(0) === 0x89504e47 && view.getUint32(4) === 0x0d0a1a0a) {
    header = { format: 'png', width: view.getUint32(16), height: view.getUint32(20), orientation: 1 };
  } else if (view.getUint32(0) === 0x52494646 && view.getUint32(8) === 0x57454250) header = readWebp(view);
  if (!header || !header.width || !header.height) return null;
  if (header.orientation >= 5 && header.orientation <= 8) {
    return { ...header, width: header.height, height: header.width, raw: { width: header.width, height: header.height } };
  }
  return header;
}

/** The size that fits `maxSide` on the long edge, keeping the aspect ratio (never enlarging). */
export function fitWithin(width, height, maxSide) {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}
