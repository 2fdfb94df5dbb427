// The IndexedDB module: the upgrade ladder keeps unsynced data, transactions are all or nothing,
// a full disk is reported as quota_exceeded, and users never share a database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freshFactory } from './helpers.js';
import * as db from '../../pwa/js/db.js';

const V1_STORES = ['attention', 'blobs', 'drafts', 'inspections', 'meta', 'outbox', 'receipts'];

test('a new user database has every store of the current version', async () => {
  const handle = await db.openUserDb(freshFactory(), 7);
  assert.equal(handle.version, db.DB_VERSION);
  assert.deepEqual([...handle.objectStoreNames].sort(), [...V1_STORES, 'journal', 'typing'].sort());
  handle.close();
});

test('upgrading from version 1 to the current version keeps the queued mutations, files and attention list', async () => {
  const factory = freshFactory();
  const v1 = await db.openUserDb(factory, 7, { version: 1 });
  assert.equal(v1.version, 1);
  assert.ok(!v1.objectStoreNames.contains('journal'));
  await db.put(v1, db.S.OUTBOX, { id: 1, name: 'inspection.start', args: { inspection_id: 3 }, inspection_id: 3 });
  await db.put(v1, db.S.BLOBS, { sha256: 'f'.repeat(64), blob: new Blob(['x']), inspection_id: 3 });
  await db.put(v1, db.S.ATTENTION, { kind: 'rejected', message: '检查要点 99 不在本次检查的清单中' });
  await db.put(v1, db.S.DRAFTS, { inspection_id: 3, summary: '现场整洁' });
  v1.close();

  const v2 = await db.openUserDb(factory, 7);
  assert.equal(v2.version, db.DB_VERSION);
  assert.ok(v2.objectStoreNames.contains('typing'), 'v3 keeps what is being typed');
  assert.equal((await db.all(v2, db.S.OUTBOX))[0].name, 'inspection.start');
  assert.equal((await db.all(v2, db.S.BLOBS, 'inspection_id', 3)).length, 1, 'v2 indexes the blobs already stored');
  assert.equal((await db.all(v2, db.S.ATTENTION))[0].message, '检查要点 99 不在本次检查的清单中');
  assert.equal((await db.get(v2, db.S.DRAFTS, 3)).summary, '现场整洁');
  v2.close();
});

test('no upgrade step deletes a store', () => {
  const deleted = [];
  const store = { createIndex() {}, deleteIndex() {} };
  const fakeDb = {
    createObjectStore: () => store,
    deleteObjectStore: (name) => deleted.push(name),
  };
  const fakeTx = { objectStore: () => store };
  db.USER_LADDER.forEach((step) => step(fakeDb, fakeTx));
  assert.deepEqual(deleted, []);
  assert.equal(db.USER_LADDER.length, db.DB_VERSION);
});

test('a transaction that fails half-way stores nothing', async () => {
  const handle = await db.openUserDb(freshFactory(), 1);
  await db.put(handle, db.S.OUTBOX, { id: 1, name: 'a', inspection_id: 1 });
  await assert.rejects(db.run(handle, [db.S.OUTBOX, db.S.META], 'readwrite', async (s) => {
    await db.req(s.meta.put({ key: 'client', value: { next_id: 9 } }));
    await db.req(s.outbox.add({ id: 1, name: 'duplicate key', inspection_id: 1 }));
  }), (err) => err.code === 'storage_failed');
  assert.equal(await db.getMeta(handle, 'client'), undefined);
  assert.equal((await db.all(handle, db.S.OUTBOX)).length, 1);
  handle.close();
});

test('a full disk is reported as quota_exceeded with the Chinese message, and nothing is stored', async () => {
  const handle = await db.openUserDb(freshFactory(), 1);
  await assert.rejects(db.run(handle, [db.S.BLOBS], 'readwrite', async (s) => {
    await db.req(s.blobs.put({ sha256: 'a', blob: new Blob(['x']) }));
    throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
  }), (err) => err.code === 'quota_exceeded' && err.message.startsWith('手机存储空间已满'));
  assert.equal(await db.count(handle, db.S.BLOBS), 0);
  handle.close();
});

test('each user has a database of their own', async () => {
  const factory = freshFactory();
  const a = await db.openUserDb(factory, 1);
  const b = await db.openUserDb(factory, 2);
  await db.put(a, db.S.INSPECTIONS, { id: 5, target: { name: '阳城县宏达物流有限公司' } });
  assert.equal(await db.count(b, db.S.INSPECTIONS), 0);
  assert.equal(db.userDbName(1), 'spotcheck-user-1');
  a.close();
  b.close();
  await db.deleteUserDb(factory, 1);
  const again = await db.openUserDb(factory, 1);
  assert.equal(await db.count(again, db.S.INSPECTIONS), 0);
  again.close();
});
