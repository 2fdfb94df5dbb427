// @ts-check
/**
 * A signature pad on a canvas (finger, stylus or glove), exported as a PNG on a white background. A dot or a
 * short flick is not a signature: the ink must span a minimum length and the strokes a minimum path, measured
 * in CSS pixels (the exported image has at least as many, so the server's check on the PNG passes too).
 */
import { AppError } from './messages.js';
import { sha256Hex } from './photos.js';

/** The minimum ink, unless the server's reference data says otherwise. */
export const INK_DEFAULTS = Object.freeze({ min_ink_side_px: 40 });

/** Whether a drawing of this ink box (w × h CSS px) and path length is enough to be a signature. */
export function enoughInk({ width, height, length }, settings = INK_DEFAULTS) {
  const side = (settings && settings.min_ink_side_px) || INK_DEFAULTS.min_ink_side_px;
  return Math.max(width, height) >= side && length >= side * 1.5;
}

/** Attaches drawing to a canvas; returns {clear, isEmpty, export}. */
export function createSignaturePad(canvas, settings = INK_DEFAULTS) {
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  let strokes = 0;
  let drawing = false;
  let last = null;
  let ink = { minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity, length: 0 };

  function fit() {
    const ratio = Math.max(1, globalThis.devicePixelRatio || 1);
    const rect = canvas.getBoundingClientRect();
    canvas.width = Math.round((rect.width || 320) * ratio);
    canvas.height = Math.round((rect.height || 180) * ratio);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.lineWidth = 3;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.strokeStyle = '#000';
    strokes = 0;
    ink = { minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity, length: 0 };
  }

  function point(e) {
    const rect = canvas.getBoundingClientRect();
    return [e.clientX - rect.left, e.clientY - rect.top];
  }

  function note([x, y]) {
    ink.minX = Math.min(ink.minX, x); ink.maxX = Math.max(ink.maxX, x);
    ink.minY = Math.min(ink.minY, y); ink.maxY = Math.max(ink.maxY, y);
    if (last) ink.length += Math.hypot(x - last[0], y - last[1]);
    last = [x, y];
  }

  canvas.addEventListener('pointerdown', (e) => {
    drawing = true;
    canvas.setPointerCapture(e.pointerId);
    const [x, y] = point(e);
    last = null;
    note([x, y]);
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x + 0.1, y + 0.1);
    ctx.stroke();
    e.preventDefault();
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!drawing) return;
    const [x, y] = point(e);
    note([x, y]);
    ctx.lineTo(x, y);
    ctx.stroke();
    e.preventDefault();
  });
  const end = () => { if (drawing) strokes += 1; drawing = false; last = null; };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  fit();

  return {
    /** Clears the pad. */
    clear: fit,
    /** Whether nothing was drawn. */
    isEmpty: () => strokes === 0,
    /** The drawing as {blob, sha256, type, bytes}; throws signature_empty or signature_too_small. */
    async export() {
      if (strokes === 0) throw new AppError('signature_empty');
      if (!enoughInk({ width: ink.maxX - ink.minX, height: ink.maxY - ink.minY, length: ink.length }, settings)) {
        throw new AppError('signature_too_small');
      }
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
      if (!blob) throw new AppError('image_failed');
      return { blob, sha256: await sha256Hex(blob), type: 'image/png', bytes: blob.size };
    },
  };
}
