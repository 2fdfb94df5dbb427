// @ts-check
/** The hash routes: #/ (list), #/i/<id>/<section>, #/attention, #/me, #/login. */
import * as login from './screens/login.js';
import * as list from './screens/list.js';
import * as inspection from './screens/inspection.js';
import * as checklist from './screens/checklist.js';
import * as findings from './screens/findings.js';
import * as evidence from './screens/evidence.js';
import * as signatures from './screens/signatures.js';
import * as result from './screens/result.js';
import * as preview from './screens/preview.js';
import * as receipt from './screens/receipt.js';
import * as attention from './screens/attention.js';
import * as me from './screens/me.js';

/** Route table: pattern segments (':name' captures), the screen function and the tab it belongs to. */
export const ROUTES = [
  { name: 'login', path: 'login', screen: login.render },
  { name: 'list', path: '', screen: list.render, tab: 'list' },
  { name: 'attention', path: 'attention', screen: attention.render, tab: 'attention' },
  { name: 'me', path: 'me', screen: me.render, tab: 'me' },
  { name: 'inspection', path: 'i/:id', screen: inspection.render, tab: 'list' },
  { name: 'notice', path: 'i/:id/notice', screen: inspection.notice, tab: 'list' },
  { name: 'checklist', path: 'i/:id/checklist', screen: checklist.render, tab: 'list' },
  { name: 'findings', path: 'i/:id/findings', screen: findings.render, tab: 'list' },
  { name: 'finding', path: 'i/:id/finding/:fid', screen: findings.edit, tab: 'list' },
  { name: 'photos', path: 'i/:id/photos', screen: evidence.photos, tab: 'list' },
  { name: 'party', path: 'i/:id/party', screen: evidence.party, tab: 'list' },
  { name: 'signatures', path: 'i/:id/signatures', screen: signatures.render, tab: 'list' },
  { name: 'sign', path: 'i/:id/sign/:who', screen: signatures.sign, tab: 'list' },
  { name: 'result', path: 'i/:id/result', screen: result.render, tab: 'list' },
  { name: 'review', path: 'i/:id/review', screen: result.review, tab: 'list' },
  { name: 'preview', path: 'i/:id/preview', screen: preview.render, tab: 'list' },
  { name: 'receipt', path: 'i/:id/receipt', screen: receipt.render, tab: 'list' },
];

/** The route, params and query for a location hash (unknown hashes show the list). */
export function match(hash) {
  const [pathPart, queryPart = ''] = (hash || '').replace(/^#\/?/, '').split('?');
  const parts = pathPart.split('/').filter(Boolean);
  const query = Object.fromEntries(new URLSearchParams(queryPart));
  for (const route of ROUTES) {
    const pattern = route.path.split('/').filter(Boolean);
    if (pattern.length !== parts.length) continue;
    const params = {};
    const ok = pattern.every((seg, i) => {
      if (seg.startsWith(':')) { params[seg.slice(1)] = decodeURIComponent(parts[i]); return true; }
      return seg === parts[i];
    });
    if (ok) return { route, params, query };
  }
  return { route: ROUTES[1], params: {}, query };
}
