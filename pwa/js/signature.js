// @ts-check
/** A signature pad on a canvas (finger, stylus or glove), exported as a PNG on a white background. */
import { AppError } from './messages.js';
import { sha256Hex } from './photos.js';

/** Attaches drawing to a canvas; returns {clear, isEmpty, export}. */
export function createSignaturePad(canvas) {
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  let strokes = 0;
  let drawing = false;

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
  }

  function point(e) {
    const rect = canvas.getBoundingClientRect();
    return [e.clientX - rect.left, e.clientY - rect.top];
  }

  canvas.addEventListener('pointerdown', (e) => {
    drawing = true;
    canvas.setPointerCapture(e.pointerId);
    const [x, y] = point(e);
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x + 0.1, y + 0.1);
    ctx.stroke();
    e.preventDefault();
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!drawing) return;
    const [x, y] = point(e);
    ctx.lineTo(x, y);
    ctx.stroke();
    e.preventDefault();
  });
  const end = () => { if (drawing) strokes += 1; drawing = false; };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  fit();

  return {
    /** Clears the pad. */
    clear: fit,
    /** Whether nothing was drawn. */
    isEmpty: () => strokes === 0,
    /** The drawing as {blob, sha256, type, bytes}; throws signature_empty when nothing was drawn. */
    async export() {
      if (strokes === 0) throw new AppError('signature_empty');
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
      if (!blob) throw new AppError('image_failed');
      return { blob, sha256: await sha256Hex(blob), type: 'image/png', bytes: blob.size };
    },
  };
}
