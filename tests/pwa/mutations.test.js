// The PWA's one list of mutation names agrees with the server's (sync/messages.py MUTATION_NAMES) and with
// the golden examples: every mutation an example sends and the server accepts is one the phone knows, and
// the one the server refuses as unknown is not. A phone that queues a name the server does not know would
// see its work refused with “请更新应用”.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, examples } from './helpers.js';
import { MUTATIONS, LABELS } from '../../pwa/js/messages.js';

const PWA_NAMES = Object.values(MUTATIONS);

/** MUTATION_NAMES as sync/messages.py defines it: the keys of MUTATION_LABELS, each a constant NAME = "x.y". */
function serverNames() {
  const source = readFileSync(path.join(ROOT, 'sync', 'messages.py'), 'utf8');
  const constants = Object.fromEntries(
    [...source.matchAll(/^([A-Z_]+)\s*=\s*["']([a-z_]+\.[a-z_]+)["']\s*$/gm)].map((m) => [m[1], m[2]]));
  const labels = source.match(/^MUTATION_LABELS\s*=\s*\{([^}]*)\}/m);
  assert.ok(labels, 'sync/messages.py defines MUTATION_LABELS as a dict keyed by the mutation constants');
  assert.match(source, /^MUTATION_NAMES\s*=\s*tuple\(MUTATION_LABELS\)/m, 'MUTATION_NAMES is the keys of MUTATION_LABELS');
  const keys = [...labels[1].matchAll(/([A-Z_]+)\s*:/g)].map((m) => m[1]);
  assert.ok(keys.length && keys.every((k) => k in constants), 'every MUTATION_LABELS key is a mutation-name constant');
  return keys.map((k) => constants[k]);
}

/**
 * Every answered push in the examples: [{mutations, results}]. Setup steps have no recorded answer (and some
 * replay another example's request, rejections included), so the names are judged by the requests' results.
 */
function pushes() {
  const out = [];
  for (const ex of Object.values(examples())) {
    const step = ex.request;
    if (!step.json || !Array.isArray(step.json.mutations) || !ex.response.body) continue;
    out.push({ example: ex.name, mutations: step.json.mutations, results: ex.response.body.results || [] });
  }
  return out;
}

/** The names the examples send, split by whether the server accepted them or refused them as unknown. */
function exampleNames() {
  const known = new Set();
  const unknown = new Set();
  for (const { mutations, results } of pushes()) {
    const status = new Map(results.map((r) => [r.id, r]));
    for (const m of mutations) {
      const r = status.get(m.id);
      if (r && r.code === 'unknown_mutation') unknown.add(m.name);
      else if (r && r.status !== 'rejected') known.add(m.name);
    }
  }
  return { known, unknown };
}

test('the PWA lists each mutation once, with the same names as sync/messages.py', () => {
  assert.equal(new Set(PWA_NAMES).size, PWA_NAMES.length, 'no name twice');
  assert.deepEqual([...PWA_NAMES].sort(), [...serverNames()].sort());
});

test('every mutation the golden examples send and the server accepts is in the PWA list', () => {
  const { known } = exampleNames();
  assert.ok(known.size >= 5, `the examples send mutations (found ${[...known]})`);
  const missing = [...known].filter((n) => !PWA_NAMES.includes(n));
  assert.deepEqual(missing, [], 'names the server applies that the phone would not queue or show');
});

test('the mutation the server refuses as unknown in the examples is not in the PWA list', () => {
  const { unknown } = exampleNames();
  assert.ok(unknown.size >= 1, 'push_rejections sends one unknown mutation');
  assert.deepEqual([...unknown].filter((n) => PWA_NAMES.includes(n)), []);
});

test('every mutation has the label the “需要处理” list shows', () => {
  assert.deepEqual(Object.keys(LABELS.mutations).sort(), [...PWA_NAMES].sort());
  for (const name of PWA_NAMES) assert.match(LABELS.mutations[name], /\p{Script=Han}/u, name);
});
