// @ts-check
/**
 * The server's JSON API (sync/PROTOCOL.md), with every failure turned into an AppError: a network error,
 * a 5xx or an HTML error page is `transient` (retry later, keep everything); an error envelope keeps the
 * server's code and Chinese message.
 */
import { AppError } from './messages.js';

const TOKEN_CODES = new Set(['token_missing', 'token_invalid', 'token_expired', 'token_revoked', 'login_required']);

/** Whether an error means the user must log in again (the outbox is kept). */
export function isTokenError(err) {
  return Boolean(err && TOKEN_CODES.has(err.code));
}

async function failure(resp) {
  const type = resp.headers.get('content-type') || '';
  let body = null;
  if (type.includes('application/json')) {
    try { body = await resp.json(); } catch { body = null; }
  }
  const transient = resp.status >= 500 || resp.status === 408;
  if (!body || typeof body.code !== 'string') {
    return new AppError(type.includes('html') ? 'server_error_page' : 'server_error', undefined,
      { status: resp.status, transient: transient || type.includes('html') });
  }
  return new AppError(body.code, body.message, { status: resp.status, errors: body.errors, transient });
}

/** Creates the API client; `getToken()` returns the current bearer token. */
export function createApi({ base = '', fetchFn = (...a) => globalThis.fetch(...a), getToken = () => null } = {}) {
  async function call(method, path, { json, body, headers = {}, expect = 'json' } = {}) {
    const h = { Accept: 'application/json', ...headers };
    const token = getToken();
    if (token) h.Authorization = `Bearer ${token}`;
    if (json !== undefined) { h['Content-Type'] = 'application/json'; body = JSON.stringify(json); }
    let resp;
    try {
      resp = await fetchFn(base + path, { method, headers: h, body, cache: 'no-store', credentials: 'omit' });
    } catch (err) {
      const e = new AppError(globalThis.navigator && navigator.onLine === false ? 'offline' : 'network', undefined, { transient: true });
      e.cause = err;
      throw e;
    }
    if (!resp.ok) throw await failure(resp);
    if (resp.status === 204) return null;
    if (expect === 'blob') { // an image only: a captive portal's page answering 200 must never be kept as one
      if (!(resp.headers.get('content-type') || '').startsWith('image/')) {
        throw new AppError('bad_response', undefined, { status: resp.status, transient: true });
      }
      try { return await resp.blob(); } catch { throw new AppError('network', undefined, { transient: true }); }
    }
    try {
      return await resp.json();
    } catch {
      throw new AppError('bad_response', undefined, { status: resp.status, transient: true });
    }
  }

  return {
    /** POST /auth/token: the device token and the user. */
    login: (username, password, deviceName) =>
      call('POST', '/api/v1/auth/token', { json: { username, password, device_name: deviceName } }),
    /** DELETE /auth/token: revokes this device's token. */
    logout: () => call('DELETE', '/api/v1/auth/token'),
    /** GET /sync/pull: one page of bundles. */
    pull: (cursor, limit = 50) =>
      call('GET', `/api/v1/sync/pull?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
    /** POST /sync/push: a batch of mutations. */
    push: (clientId, mutations) => call('POST', '/api/v1/sync/push', { json: { protocol: 1, client_id: clientId, mutations } }),
    /** PUT /media/<sha256>?kind=photo|signature: uploads a file (idempotent; the kind adds its minimum size). */
    putMedia: (sha256, blob, type, kind) => call('PUT', `/api/v1/media/${sha256}${kind === 'photo' || kind === 'signature' ? `?kind=${kind}` : ''}`,
      { body: blob, headers: { 'Content-Type': type || blob.type || 'image/jpeg' } }),
    /** GET /media/<sha256>/thumb: the JPEG thumbnail of a file the group holds on the server. */
    mediaThumb: (sha256) => call('GET', `/api/v1/media/${sha256}/thumb`, { expect: 'blob', headers: { Accept: 'image/jpeg, application/json' } }),
    /** GET /inspections/<id>/receipt: the signed evidence list. */
    receipt: (id) => call('GET', `/api/v1/inspections/${id}/receipt`),
  };
}
