// Test helpers: fresh fake IndexedDB factories, the golden sync examples, and a scripted fake server.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import * as db from '../../pwa/js/db.js';
import * as outbox from '../../pwa/js/outbox.js';
import { createApi } from '../../pwa/js/api.js';
import { createSyncClient } from '../../pwa/js/sync-client.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '..', '..');
export const PWA = path.join(ROOT, 'pwa', 'js');
const EXAMPLES = path.join(ROOT, 'sync', 'examples');

export const SERVER_TIME = '2024-05-06T01:10:00+00:00';
const PLACEHOLDERS = {
  '<datetime>': SERVER_TIME, '<date>': '2024-05-06', '<string>': 'cursor-1', '<token>': 'T'.repeat(43),
  '<hex64>': 'a'.repeat(64), '<hex8>': 'abcd1234', '<int>': 1, '<any>': null,
};

/** A fresh, isolated IndexedDB factory. */
export function freshFactory() {
  return new IDBFactory();
}

/** Every golden example by name. */
export function examples() {
  return Object.fromEntries(readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'))
    .map((f) => [f.slice(0, -5), JSON.parse(readFileSync(path.join(EXAMPLES, f), 'utf8'))]));
}

/** A response body of an example made concrete: placeholders filled, "...": true markers dropped. */
export function concrete(value) {
  if (Array.isArray(value)) return value.map(concrete);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([k]) => k !== '...').map(([k, v]) => [k, concrete(v)]));
  }
  return typeof value === 'string' && value in PLACEHOLDERS ? PLACEHOLDERS[value] : value;
}

/** The bytes of a request's body_base64 as a Blob. */
export function exampleBlob(request, type = 'image/png') {
  return new Blob([Buffer.from(request.body_base64, 'base64')], { type });
}

/** A JSON Response. */
export function jsonResponse(status, body, headers = {}) {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status, headers: { 'Content-Type': 'application/json', ...headers },
  });
}

/** The Response an example's server gave. */
export function exampleResponse(example) {
  const { status, body, headers = {} } = example.response;
  if (example.request.method === 'HEAD') return new Response(null, { status, headers });
  return jsonResponse(status, concrete(body), headers);
}

/**
 * A scripted server: routes ("GET /api/v1/sync/pull") map to a function(request) or a list of them used
 * in turn (the last one repeats). Every call is recorded in `calls`.
 */
export function fakeServer(routes) {
  const calls = [];
  const used = new Map();
  async function fetchFn(url, init = {}) {
    const u = new URL(url, 'http://phone.test');
    const key = `${init.method || 'GET'} ${u.pathname}`;
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : init.body;
    const call = { key, url: u, body, headers: init.headers || {} };
    calls.push(call);
    let handler = routes[key];
    if (Array.isArray(handler)) {
      const n = used.get(key) || 0;
      used.set(key, n + 1);
      handler = handler[Math.min(n, handler.length - 1)];
    }
    if (!handler) throw new Error(`unexpected request ${key}`);
    return handler(call);
  }
  return { fetchFn, calls };
}

/** A timers object that records scheduled callbacks instead of running them. */
export function fakeTimers() {
  const scheduled = [];
  return {
    scheduled,
    setTimeout: (fn, ms) => { scheduled.push({ fn, ms }); return scheduled.length; },
    clearTimeout: () => {},
  };
}

/** A fresh phone that queues the mutations of a push example and flushes them against the server's recorded
 * answer (and `pull` for the pull that follows); returns the phone's database handle. */
export async function flushedExample(ex, pull) {
  const handle = await db.openUserDb(freshFactory(), 1);
  const server = fakeServer({ 'POST /api/v1/sync/push': () => exampleResponse(ex), 'GET /api/v1/sync/pull': () => exampleResponse(pull) });
  const api = createApi({ fetchFn: server.fetchFn, getToken: () => 'T'.repeat(43) });
  const client = createSyncClient({ db: handle, api, timers: fakeTimers(), random: () => 0.5, now: () => new Date(SERVER_TIME),
    onEvent: () => {}, isOnline: () => true, isVisible: () => true });
  await db.setMeta(handle, 'client', { client_id: ex.request.json.client_id, next_id: 1 });
  for (const m of ex.request.json.mutations) await outbox.enqueue(handle, m.name, m.args);
  await client.flush('manual');
  return handle;
}
