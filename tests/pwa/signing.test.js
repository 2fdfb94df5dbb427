// The twin of sync/signing.py: the golden vectors of sync/examples/signing/ give the same canonical JSON, digest,
// stripped text and current signatures here as in Python (tests/sync/test_signing.py).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, PWA } from './helpers.js';

const { canonicalJson, content, digest, strip, currentIds } = await import(path.join(PWA, 'signing.js'));
const VECTORS = JSON.parse(readFileSync(path.join(ROOT, 'sync', 'examples', 'signing', 'digest.json'), 'utf8'));

for (const c of VECTORS.digests) {
  test(`digest: ${c.name}`, async () => {
    const body = content(c.input);
    assert.equal(canonicalJson(body), c.canonical);
    assert.equal(await digest(body), c.digest);
  });
}

test('text is stripped as Python str.strip() strips it', () => {
  for (const [raw, expected] of VECTORS.strip) assert.equal(strip(raw), expected, JSON.stringify(raw));
});

test('the latest signature of each signer is the current one', () => {
  assert.deepEqual([...currentIds(VECTORS.signatures.input)].sort(), VECTORS.signatures.current);
});
