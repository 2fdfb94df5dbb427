// @ts-check
/**
 * The twin of sync/signing.py (PROTOCOL.md §3.3): what a signature covers. A signature is given over the
 * inspection as it stands — the conclusion, the current answer of each checkpoint and the current
 * findings — and carries the SHA-256 of that content's canonical JSON. The server recomputes it at submit;
 * the vectors in sync/examples/signing/ are replayed by both test suites.
 */

/** The version of the signed content's shape. */
export const DIGEST_VERSION = 1;

// Python's str.isspace(): the phone strips text exactly as the server's wire schemas do (str.strip()).
const WHITESPACE = new Set(['\t', '\n', '\v', '\f', '\r', '\x1c', '\x1d', '\x1e', '\x1f', ' ', '\x85', '\xa0', '\u1680',
  '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200a',
  '\u2028', '\u2029', '\u202f', '\u205f', '\u3000']);

/** Text without leading and trailing whitespace, as Python's str.strip() gives it. */
export function strip(text) {
  const s = String(text ?? '');
  let a = 0;
  let b = s.length;
  while (a < b && WHITESPACE.has(s[a])) a += 1;
  while (b > a && WHITESPACE.has(s[b - 1])) b -= 1;
  return s.slice(a, b);
}

/** Sorted keys, separators `,` and `:`, no ASCII escaping (as Python's json.dumps(sort_keys=True, ...)). */
export function canonicalJson(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value === undefined ? null : value);
}

const codes = (list) => [...new Set(list || [])].sort();

/** The signed content: `answers` are the current register answers, `findings` the current findings. */
export function content({ inspection_id, result_categories, methods, follow_ups, summary, answers, findings }) {
  return {
    v: DIGEST_VERSION,
    inspection_id: Number(inspection_id),
    conclusion: { result_categories: codes(result_categories), methods: codes(methods), follow_ups: codes(follow_ups),
      summary: summary || '' },
    answers: (answers || []).map((a) => ({ checkpoint_id: Number(a.checkpoint_id), answer: a.answer, note: a.note || '' }))
      .sort((x, y) => x.checkpoint_id - y.checkpoint_id),
    findings: (findings || []).map((f) => ({
      id: String(f.id), checkpoint_id: f.checkpoint_id ?? null, description: f.description || '',
      legal_basis: f.legal_basis || '', rectification: f.rectification || '', rectify_by: f.rectify_by || null,
    })).sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0)),
  };
}

/** Lowercase hex SHA-256 of the content's canonical JSON (UTF-8). */
export async function digest(signed) {
  const bytes = new TextEncoder().encode(canonicalJson(signed));
  const hash = await globalThis.crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Whose signature it is: one inspector of the group, the party on site, or a witness by name. */
export function signerKey(role, inspectorId, name) {
  if (role === 'inspector') return `inspector:${inspectorId}`;
  if (role === 'party') return 'party';
  return `${role}:${strip(name)}`;
}

/** The ids of the signatures that count: the latest (signed_at, id) per signer (re-signing replaces). */
export function currentIds(signatures) {
  const best = new Map();
  for (const s of signatures || []) {
    const key = signerKey(s.signer_role, s.inspector_id, s.signer_name);
    const order = [Date.parse(s.signed_at) || 0, String(s.id)];
    const prev = best.get(key);
    if (!prev || order[0] > prev[0] || (order[0] === prev[0] && order[1] > prev[1])) best.set(key, order);
  }
  return new Set([...best.values()].map((o) => o[1]));
}
