// The cold start: every module app.js needs before the first screen (its static imports, all the way down)
// is preloaded by index.html, so the phone fetches them at once instead of one import level at a time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './helpers.js';

const SHELL = path.join(ROOT, 'pwa');
const STATIC_IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|^\s*import\s*['"](\.[^'"]+)['"]/gm;

/** The modules `entry` imports statically, itself included, relative to pwa/. */
function staticGraph(entry, seen = new Set()) {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  for (const m of readFileSync(path.join(SHELL, entry), 'utf8').matchAll(STATIC_IMPORT)) {
    staticGraph(path.posix.join(path.posix.dirname(entry), m[1] || m[2]), seen);
  }
  return seen;
}

test('every module the cold start imports is preloaded by the shell', () => {
  const html = readFileSync(path.join(SHELL, 'index.html'), 'utf8');
  const preloaded = new Set([...html.matchAll(/<link rel="modulepreload" href="([^"]+)">/g)].map((m) => m[1]));
  const needed = [...staticGraph('js/app.js')];
  assert.ok(needed.includes('js/store-session.js') && needed.includes('js/db.js'), needed.join());
  assert.deepEqual(needed.filter((f) => !preloaded.has(f)).sort(), []);
  assert.deepEqual([...preloaded].filter((f) => !needed.includes(f)), [], 'nothing preloaded that the cold start does not use');
});
