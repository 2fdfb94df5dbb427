// @ts-check
/**
 * The store's photos and signatures: this phone's own files (kept until the server holds them) and the
 * thumbnails of files other group members took, downloaded once and kept apart from the phone's own.
 */
import * as db from './db.js';

/**
 * The blobs-store key of a thumbnail downloaded from the server: never a bare hash, so it is never taken
 * for one of this phone's own files waiting to be uploaded (and it is stored as already held by the server).
 */
export const THUMB_KEY = (sha256) => `thumb:${sha256}`;

async function ownFile(s, sha256) {
  const row = await db.get(s.userDb, db.S.BLOBS, sha256);
  return row ? row.blob : null;
}

async function image(s, sha256) {
  const own = await ownFile(s, sha256);
  if (own) return own;
  const kept = await db.get(s.userDb, db.S.BLOBS, THUMB_KEY(sha256));
  return kept ? kept.blob : null;
}

async function keepThumb(handle, sha256, blob) {
  const row = { sha256: THUMB_KEY(sha256), of: sha256, kind: 'thumb', blob, type: blob.type, bytes: blob.size,
    uploaded: true, error: null, fetched_at: new Date().toISOString() };
  await db.put(handle, db.S.BLOBS, row).catch(() => {}); // storage full or closed: show it this once anyway
  return blob;
}

function fetchThumb(s, inFlight, sha256) {
  if (!s.auth || !s.userDb || (globalThis.navigator && navigator.onLine === false)) return Promise.resolve(null);
  if (!inFlight.has(sha256)) {
    const handle = s.userDb; // the database of the user who asked, even if another one logs in meanwhile
    inFlight.set(sha256, s.api.mediaThumb(sha256).then((blob) => keepThumb(handle, sha256, blob), () => null)
      .finally(() => inFlight.delete(sha256)));
  }
  return inFlight.get(sha256);
}

/** The media part of the store: stored files and the thumbnails of other members' files. */
export function mediaPart(s) {
  const inFlight = new Map(); // sha256 → the one download in flight
  return {
    /** A stored photo or signature file. */
    blob: (sha256) => ownFile(s, sha256),
    /** What to show for a photo or signature: this phone's own file, else a thumbnail kept from the server, else null. */
    image: (sha256) => image(s, sha256),
    /**
     * Downloads the thumbnail of a file another group member took and keeps it on the phone (never queued,
     * never uploaded); null when offline, not signed in or the server refuses (the screen keeps its placeholder).
     */
    fetchThumb: (sha256) => fetchThumb(s, inFlight, sha256),
  };
}
