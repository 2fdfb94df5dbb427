// Nothing typed is lost: a form's fields are kept as they are typed (debounced, not on blur), restored after a
// reload, and forgotten once saved as a record. Plus the other pure field rules: a signature's minimum ink and
// what a due date says once the work is handed in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keepTyping } from '../../pwa/js/typing.js';
import { enoughInk } from '../../pwa/js/signature.js';
import { dueLabel } from '../../pwa/js/format.js';
import { fakeTimers } from './helpers.js';

function field(type = 'text') {
  const listeners = {};
  return { type, tagName: 'TEXTAREA', value: '', checked: false,
    addEventListener: (ev, fn) => { listeners[ev] = fn; }, fire: (ev) => listeners[ev] && listeners[ev]() };
}

function memoryStore() {
  const rows = new Map();
  return { rows, keepTyped: async (_id, key, values) => rows.set(key, values), typed: async (key) => rows.get(key),
    dropTyped: async (key) => rows.delete(key) };
}

test('typing is kept after a pause, restored into a new form, and forgotten once saved', async () => {
  const store = memoryStore();
  const timers = fakeTimers();
  const note = field();
  const refused = field('checkbox');
  const kept = keepTyping(store, 7, '7:party', { note, refused }, { timers });
  note.value = '拒绝在笔录上签名';
  note.fire('input');
  refused.checked = true;
  refused.fire('change');
  assert.equal(store.rows.size, 0, 'not on every key stroke');
  await timers.scheduled.at(-1).fn();
  assert.deepEqual(store.rows.get('7:party'), { note: '拒绝在笔录上签名', refused: true });
  const again = { note: field(), refused: field('checkbox') }; // the page was reloaded
  assert.equal(await keepTyping(store, 7, '7:party', again, { timers }).restore(), true);
  assert.equal(again.note.value, '拒绝在笔录上签名');
  assert.equal(again.refused.checked, true);
  await kept.forget();
  assert.equal(store.rows.has('7:party'), false);
  assert.equal(await keepTyping(store, 7, '7:party', { note: field() }, { timers }).restore(), false);
});

test('a dot or a flick is not a signature; a short name is', () => {
  assert.equal(enoughInk({ width: 2, height: 1, length: 1 }), false);
  assert.equal(enoughInk({ width: 30, height: 4, length: 30 }), false);
  assert.equal(enoughInk({ width: 90, height: 40, length: 260 }), true);
  assert.equal(enoughInk({ width: 45, height: 3, length: 62 }, { min_ink_side_px: 40 }), true, '一 is a signature too');
});

test('handed-in work has no countdown', () => {
  const today = new Date(2024, 9, 3);
  assert.equal(dueLabel('2024-10-31', today), '截止 2024-10-31（还剩 28 天）');
  assert.equal(dueLabel('2024-10-31', today, 'approved'), '截止 2024-10-31（已审核通过）');
  assert.equal(dueLabel('2024-10-31', today, 'submitted'), '截止 2024-10-31（已提交，等待审核）');
});
