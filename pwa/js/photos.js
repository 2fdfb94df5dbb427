// @ts-check
/**
 * Evidence photos on the device: read the camera file's header (refuse what is too large to decode),
 * decode with EXIF orientation applied and resized in one step, add a caption band below the image
 * (time, place, target, inspectors), encode JPEG within the size budget, and hash with crypto.subtle.
 */
import { AppError } from './messages.js';
import { readImageHeader, fitWithin } from './image-meta.js';

/** Defaults when the server's reference data has no photo settings. */
export const PHOTO_DEFAULTS = Object.freeze({
  max_side_px: 1600, jpeg_quality: 0.8, max_bytes: 15 * 1024 * 1024, max_pixels: 40_000_000, min_side_px: 240,
});
/** The largest camera file the phone tries to read at all. */
export const MAX_INPUT_BYTES = 60 * 1024 * 1024;
/** The output budget: quality steps down (to MIN_QUALITY) until the JPEG fits. */
export const MAX_OUTPUT_BYTES = 500 * 1024;
const MIN_QUALITY = 0.5;
const HEADER_BYTES = 512 * 1024;

/** Lowercase hex SHA-256 of a Blob. */
export async function sha256Hex(blob) {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function header(file) {
  let head = readImageHeader(await file.slice(0, HEADER_BYTES).arrayBuffer());
  if (!head && file.size > HEADER_BYTES) head = readImageHeader(await file.arrayBuffer());
  return head;
}

function checkInput(file, head, settings) {
  if (file.size > MAX_INPUT_BYTES || file.size > settings.max_bytes * 4) {
    throw new AppError('image_file_too_large', `照片文件过大（${(file.size / 1048576).toFixed(1)} MB）：请在相机设置中降低分辨率后重拍`);
  }
  if (!head) {
    if (file.type && !file.type.startsWith('image/')) throw new AppError('image_not_image');
    return;
  }
  tooSmall(head.width, head.height, settings);
  const pixels = head.width * head.height;
  if (pixels > settings.max_pixels || head.width > 20000 || head.height > 20000) {
    throw new AppError('image_too_large', `照片像素过大（${head.width}×${head.height}，约 ${Math.round(pixels / 1e6)} 百万像素，`
      + `上限 ${Math.round(settings.max_pixels / 1e6)} 百万像素）：请在相机设置中降低分辨率后重拍`);
  }
}

/** A thumbnail or a screenshot is not evidence: refused with its size and the minimum (the server checks too). */
function tooSmall(width, height, settings) {
  const min = settings.min_side_px || 0;
  if (Math.min(width, height) < min) {
    throw new AppError('image_too_small', `照片太小（${width}×${height} 像素），看不清现场情况：照片的短边至少需要 ${min} 像素。`
      + '请用手机相机重新拍摄，不要使用截图或缩略图');
  }
}

async function decode(file, head, maxSide) {
  try {
    if (head) {
      const size = fitWithin(head.width, head.height, maxSide);
      return await createImageBitmap(file, {
        imageOrientation: 'from-image', resizeWidth: size.width, resizeHeight: size.height, resizeQuality: 'high',
      });
    }
    const full = await createImageBitmap(file, { imageOrientation: 'from-image' });
    const size = fitWithin(full.width, full.height, maxSide);
    if (size.width === full.width) return full;
    const scaled = await createImageBitmap(full, { resizeWidth: size.width, resizeHeight: size.height, resizeQuality: 'high' });
    full.close();
    return scaled;
  } catch {
    throw new AppError('image_corrupt');
  }
}

function makeCanvas(width, height) {
  if (typeof OffscreenCanvas !== 'undefined') return new OffscreenCanvas(width, height);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  return canvas;
}

function fitText(ctx, text, maxWidth) {
  if (ctx.measureText(text).width <= maxWidth) return text;
  let cut = text;
  while (cut.length > 1 && ctx.measureText(`${cut}…`).width > maxWidth) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** Draws the bitmap with a caption band of `lines` below it; returns the canvas. */
export function composeWithCaption(bitmap, lines) {
  const width = bitmap.width;
  const font = Math.max(14, Math.round(width / 45));
  const lineHeight = Math.round(font * 1.4);
  const pad = Math.round(font * 0.6);
  const band = lines.length ? lines.length * lineHeight + pad * 2 : 0;
  const canvas = makeCanvas(width, bitmap.height + band);
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  ctx.drawImage(bitmap, 0, 0);
  if (band) {
    ctx.fillStyle = '#111';
    ctx.fillRect(0, bitmap.height, width, band);
    ctx.fillStyle = '#fff';
    ctx.font = `${font}px "WenQuanYi Micro Hei", "Noto Sans CJK SC", "PingFang SC", sans-serif`;
    ctx.textBaseline = 'top';
    lines.forEach((line, i) => ctx.fillText(fitText(ctx, line, width - pad * 2), pad, bitmap.height + pad + i * lineHeight + font * 0.15));
  }
  return canvas;
}

/** Encodes a canvas as JPEG. */
export function encodeJpeg(canvas, quality) {
  if ('convertToBlob' in canvas) return canvas.convertToBlob({ type: 'image/jpeg', quality });
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new AppError('image_failed'))), 'image/jpeg', quality));
}

/**
 * Turns a camera file into evidence: {blob, sha256, width, height, bytes, type, source}; throws an
 * AppError (image_too_large, image_corrupt, image_not_image, image_file_too_large) for bad input.
 */
export async function processPhoto(file, reference = {}, captionLines = []) {
  const settings = { ...PHOTO_DEFAULTS, ...(reference || {}) };
  const head = await header(file);
  checkInput(file, head, settings);
  const bitmap = await decode(file, head, settings.max_side_px);
  if (!head) tooSmall(bitmap.width, bitmap.height, settings);
  const canvas = composeWithCaption(bitmap, captionLines);
  bitmap.close();
  let quality = settings.jpeg_quality;
  let blob = await encodeJpeg(canvas, quality);
  while (blob.size > Math.min(MAX_OUTPUT_BYTES, settings.max_bytes) && quality > MIN_QUALITY) {
    quality = Math.max(MIN_QUALITY, Math.round((quality - 0.1) * 10) / 10);
    blob = await encodeJpeg(canvas, quality);
  }
  return {
    blob, sha256: await sha256Hex(blob), width: canvas.width, height: canvas.height, bytes: blob.size, type: 'image/jpeg',
    quality, source: head ? { width: head.width, height: head.height, format: head.format, orientation: head.orientation } : null,
  };
}

/** The current GPS position {latitude, longitude, accuracy_m}, or null (denied, unavailable, timed out). */
export function currentPosition({ timeout = 8000, maximumAge = 120000 } = {}) {
  const geo = globalThis.navigator && navigator.geolocation;
  if (!geo) return Promise.resolve(null);
  return new Promise((resolve) => {
    geo.getCurrentPosition(
      (pos) => resolve({ latitude: pos.coords.latitude, longitude: pos.coords.longitude, accuracy_m: pos.coords.accuracy }),
      () => resolve(null),
      { enableHighAccuracy: true, timeout, maximumAge },
    );
  });
}
