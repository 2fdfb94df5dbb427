// @ts-check
/** Checks the office would make on what the inspector types: a 居民身份证号 (GB 11643-1999, ISO 7064 MOD 11-2). */

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';

/** The check character of the first 17 digits of an 18-digit 身份证号. */
export function idCheckDigit(first17) {
  const sum = [...first17].reduce((acc, d, i) => acc + Number(d) * WEIGHTS[i], 0);
  return CHECK[sum % 11];
}

function validDate(y, m, d) {
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d && date.getTime() <= Date.now();
}

/** What is wrong with a 身份证号 ('' when it is empty or valid); 15-digit numbers of the old format pass. */
export function idNumberProblem(value) {
  const id = String(value || '').replace(/\s+/g, '').toUpperCase();
  if (!id) return '';
  if (/^\d{15}$/.test(id)) return validDate(1900 + Number(id.slice(6, 8)), Number(id.slice(8, 10)), Number(id.slice(10, 12)))
    ? '' : '身份证号中的出生日期不对：请对照证件逐位核对';
  if (!/^\d{17}[\dX]$/.test(id)) return `身份证号应为 18 位（最后一位可能是 X），现在是 ${id.length} 位：请对照证件核对`;
  if (!validDate(Number(id.slice(6, 10)), Number(id.slice(10, 12)), Number(id.slice(12, 14)))) {
    return '身份证号中的出生日期不对（第 7–14 位）：请对照证件逐位核对';
  }
  if (idCheckDigit(id.slice(0, 17)) !== id[17]) {
    return '身份证号的校验位不对（最后一位与前 17 位不相符），可能有数字输错：请对照证件逐位核对；无法核实的可以不填';
  }
  return '';
}
