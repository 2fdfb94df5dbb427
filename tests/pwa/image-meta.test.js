// Reading camera files without decoding them: format, displayed size (EXIF orientation), and refusal of
// bytes that are not an image header. Fixtures were written by Pillow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readImageHeader, fitWithin } from '../../pwa/js/image-meta.js';
import { dueLabel, offsetLabel, photoCaption, mapLink } from '../../pwa/js/format.js';

const JPEG_1 = '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/2wBDAQkJCQwLDBgNDRgyIRwhMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjL/wAARCAAeACgDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDgqKKK8M/VAooooAKKKKACiiigAooooAKKKKAP/9k=';
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAcAAAAFCAIAAAAG+GGPAAAADElEQVR4nGNgoCcAAABuAAFIXXpjAAAAAElFTkSuQmCC';
const WEBP_LOSSY = 'UklGRjQAAABXRUJQVlA4ICgAAADwAgCdASohABUAPtFmrVEoJaQipWgBABoJaQAAKUNt8AD+852AAAAA';
const WEBP_LOSSLESS = 'UklGRhoAAABXRUJQVlA4TA4AAAAvIAAFAAcQEf0PRET/Aw==';

const buf = (b64) => { const b = Buffer.from(b64, 'base64'); return b.buffer.slice(b.byteOffset, b.byteOffset + b.length); };

test('a plain JPEG reads as stored', () => {
  assert.deepEqual(readImageHeader(buf(JPEG_1)), { format: 'jpeg', width: 40, height: 30, orientation: 1 });
});

test('EXIF orientation 6 (a phone held upright) swaps the displayed width and height', () => {
  // The same JPEG with an APP1 Exif segment (orientation 6) inserted after SOI/APP0.
  const plain = Buffer.from(JPEG_1, 'base64');
  const exifPayload = Buffer.from('Exif\0\0MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0\0\0\0\0', 'latin1');
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, 0, exifPayload.length + 2]), exifPayload]);
  const withExif = Buffer.concat([plain.subarray(0, 20), app1, plain.subarray(20)]);
  const header = readImageHeader(withExif.buffer.slice(withExif.byteOffset, withExif.byteOffset + withExif.length));
  assert.deepEqual(header, { format: 'jpeg', width: 30, height: 40, orientation: 6, raw: { width: 40, height: 30 } });
});

test('PNG and both kinds of WebP', () => {
  assert.deepEqual(readImageHeader(buf(PNG)), { format: 'png', width: 7, height: 5, orientation: 1 });
  assert.deepEqual(readImageHeader(buf(WEBP_LOSSY)), { format: 'webp', width: 33, height: 21, orientation: 1 });
  assert.deepEqual(readImageHeader(buf(WEBP_LOSSLESS)), { format: 'webp', width: 33, height: 21, orientation: 1 });
});

test('text, a cut-off JPEG and empty bytes are not image headers', () => {
  assert.equal(readImageHeader(new TextEncoder().encode('不是图片，是一段文字'.repeat(4)).buffer), null);
  assert.equal(readImageHeader(buf(JPEG_1).slice(0, 100)), null);
  assert.equal(readImageHeader(new ArrayBuffer(0)), null);
});

test('fitting to the long edge keeps the ratio and never enlarges', () => {
  assert.deepEqual(fitWithin(4000, 3000, 1600), { width: 1600, height: 1200 });
  assert.deepEqual(fitWithin(3000, 4000, 1600), { width: 1200, height: 1600 });
  assert.deepEqual(fitWithin(800, 600, 1600), { width: 800, height: 600 });
});

test('what the inspector reads: due dates, clock offsets, the caption band, the map link', () => {
  const today = new Date(2024, 9, 29);
  assert.equal(dueLabel('2024-10-31', today), '截止 2024-10-31（还剩 2 天）');
  assert.equal(dueLabel('2024-10-27', today), '截止 2024-10-27（已逾期 2 天）');
  assert.equal(offsetLabel(3 * 3600000 - 20000), '快 3 小时');
  assert.equal(offsetLabel(-90000), '慢 2 分');
  assert.equal(offsetLabel(1200), '快 1 秒');
  const view = { target: { name: '阳城县宏达物流有限公司', address: '凤鸣路88号' }, members: [{ name: '王建国' }, { name: '李明' }] };
  const lines = photoCaption({ takenAt: new Date(2024, 4, 6, 9, 5, 12), pos: { latitude: 35.4862, longitude: 112.4153, accuracy_m: 8 }, view, clockOffsetMs: 600000 });
  assert.deepEqual(lines, ['时间：2024-05-06 09:05:12（手机时间比服务器快 10 分）', '地点：北纬 35.48620，东经 112.41530（误差约 8 米）',
    '检查对象：阳城县宏达物流有限公司', '检查人员：王建国、李明']);
  assert.equal(photoCaption({ takenAt: new Date(), pos: null, view, clockOffsetMs: 500 })[1], '地点：未获取定位（凤鸣路88号）');
  assert.match(mapLink({ latitude: 35.4862, longitude: 112.4153, name: '宏达' }), /position=112.4153,35.4862/);
  assert.match(mapLink({ address: '凤鸣路88号' }), /keyword=%E5%87%A4/);
});
