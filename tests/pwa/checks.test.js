// Field checks the office would make: the 身份证号 check digit (GB 11643, ISO 7064 MOD 11-2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idNumberProblem, idCheckDigit } from '../../pwa/js/checks.js';

test('a 身份证号 with the right check digit passes, a wrong one is flagged with what to do', () => {
  assert.equal(idCheckDigit('11010519491231002'), 'X'); // the standard's own example
  assert.equal(idNumberProblem('11010519491231002X'), '');
  assert.equal(idNumberProblem('11010519491231002x'), '', 'a lowercase x is the same');
  assert.equal(idNumberProblem('140522198803150014'), '');
  assert.match(idNumberProblem('140522198803150017'), /^身份证号的校验位不对/);
  assert.match(idNumberProblem('140522198803150017'), /请对照证件逐位核对/);
});

test('a wrong length or an impossible birth date is flagged; empty and the old 15-digit format pass', () => {
  assert.equal(idNumberProblem(''), '');
  assert.equal(idNumberProblem('140522880315001'), '');
  assert.match(idNumberProblem('14052219880315001'), /应为 18 位.*现在是 17 位/);
  assert.match(idNumberProblem('140522198802300011'), /出生日期不对/);
});
