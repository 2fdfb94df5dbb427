// @ts-check
/** Formatting for what the inspector reads: dates, due labels, sizes, the photo caption band. */

const pad = (n) => String(n).padStart(2, '0');

/** 2024-05-06 09:05 (local time) from a Date or an ISO string; '' for nothing. */
export function dateTime(value, seconds = false) {
  if (!value) return '';
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  const base = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return seconds ? `${base}:${pad(d.getSeconds())}` : base;
}

/** Whole days from today to a YYYY-MM-DD date (negative when past). */
export function daysUntil(isoDate, today = new Date()) {
  if (!isoDate) return null;
  const [y, m, d] = isoDate.split('-').map(Number);
  const due = Date.UTC(y, m - 1, d);
  const now = Date.UTC(today.getFullYear(), today.getMonth(), today.getDate());
  return Math.round((due - now) / 86400000);
}

/** What the due date means once the work is handed in (no countdown for what is done). */
const DONE = { approved: '已审核通过', submitted: '已提交，等待审核', pending_evidence: '已提交，照片或签名待上传', withdrawn: '已撤回' };

/** “截止 2024-10-31（还剩 3 天）” / “（已逾期 2 天）”; for submitted or approved work, what became of it. */
export function dueLabel(isoDate, today = new Date(), status = '') {
  if (DONE[status]) return isoDate ? `截止 ${isoDate}（${DONE[status]}）` : DONE[status];
  if (!isoDate) return '无截止日期';
  const days = daysUntil(isoDate, today);
  if (days < 0) return `截止 ${isoDate}（已逾期 ${-days} 天）`;
  if (days === 0) return `截止 ${isoDate}（今天到期）`;
  return `截止 ${isoDate}（还剩 ${days} 天）`;
}

/** 1.5 MB / 820 KB. */
export function bytes(n) {
  if (!Number.isFinite(n)) return '未知';
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(n / 1024))} KB`;
}

/** “快 3 小时 5 分” / “慢 40 秒” for a clock offset in ms (device − server). */
export function offsetLabel(ms) {
  const abs = Math.abs(ms);
  let text;
  if (abs < 60000) text = `${Math.round(abs / 1000)} 秒`;
  else {
    const minutes = Math.round(abs / 60000);
    const h = Math.floor(minutes / 60);
    const m = minutes % 60;
    text = h ? `${h} 小时${m ? ` ${m} 分` : ''}` : `${m} 分`;
  }
  return `${ms >= 0 ? '快' : '慢'} ${text}`;
}

/** A clock offset large enough to warn about (2 minutes). */
export const CLOCK_WARN_MS = 2 * 60 * 1000;

/** The caption band's lines: time (with the clock offset when it matters), place, target, inspectors. */
export function photoCaption({ takenAt, pos, view, clockOffsetMs }) {
  let time = `时间：${dateTime(takenAt, true)}`;
  if (clockOffsetMs != null && Math.abs(clockOffsetMs) >= CLOCK_WARN_MS) time += `（手机时间比服务器${offsetLabel(clockOffsetMs)}）`;
  const place = pos
    ? `地点：北纬 ${pos.latitude.toFixed(5)}，东经 ${pos.longitude.toFixed(5)}（误差约 ${Math.round(pos.accuracy_m)} 米）`
    : `地点：未获取定位（${(view.target && view.target.address) || '地址未知'}）`;
  const names = (view.members || []).map((m) => m.name).join('、');
  return [time, place, `检查对象：${(view.target && view.target.name) || ''}`, `检查人员：${names}`];
}

/** A map link for the target: its coordinates when known, else a search for the address. */
export function mapLink(target) {
  if (target && Number.isFinite(target.latitude) && Number.isFinite(target.longitude)) {
    return `https://uri.amap.com/marker?position=${target.longitude},${target.latitude}&name=${encodeURIComponent(target.name || '')}&coordinate=wgs84`;
  }
  return `https://uri.amap.com/search?keyword=${encodeURIComponent((target && target.address) || '')}`;
}
