// The completeness rules of inspection.submit on the phone (pwa/js/submit-rules.js), replayed from the same
// vectors as the server's (sync/examples/submit_rules/cases.json, tests/sync/test_submit_rules.py).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './helpers.js';
import { CODES, problems } from '../../pwa/js/submit-rules.js';

const { cases } = JSON.parse(fs.readFileSync(path.join(ROOT, 'sync', 'examples', 'submit_rules', 'cases.json'), 'utf8'));

for (const c of cases) {
  test(`submit rules: ${c.name} (${c.description})`, () => {
    const found = problems(c.state);
    assert.deepEqual(found.map((p) => p.code), c.problems);
    for (const p of found) assert.match(p.message, /请/, 'each message says how to fix it');
  });
}

test('every rule of the phone has a vector that trips it alone', () => {
  const alone = new Set(cases.filter((c) => c.problems.length === 1).map((c) => c.problems[0]));
  assert.deepEqual([...alone].sort(), Object.values(CODES).sort());
});
