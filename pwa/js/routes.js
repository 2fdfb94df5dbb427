// @ts-check
/** The hash routes: #/ (list), #/i/<id>/<section>, #/attention, #/me, #/login. Screens load on first use,
 * so a cold start compiles only what the list needs (every file is precached, so this works offline). */
import * as login from './screens/login.js';
import * as list from './screens/list.js';

const lazy = (module, name = 'render') => async (ctx) => (await import(`./screens/${module}.js`))[name](ctx);

/** Route table: pattern segments (':name' captures), the screen function and the tab it belongs to. */
export const ROUTES = [
  { name: 'login', path: 'login', screen: login.render },
  { name: 'list', path: '', screen: list.render, tab: 'list' },
  { name: 'attention', path: 'attention', screen: lazy('attention'), tab: 'attention' },
  { name: 'me', path: 'me', screen: lazy('me'), tab: 'me' },
  { name: 'inspection', path: 'i/:id', screen: lazy('inspection'), tab: 'list' },
  { name: 'notice', path: 'i/:id/notice', screen: lazy('inspection', 'notice'), tab: 'list' },
  { name: 'checklist', path: 'i/:id/checklist', screen: lazy('checklist'), tab: 'list' },
  { name: 'findings', path: 'i/:id/findings', screen: lazy('findings'), tab: 'list' },
  { name: 'finding', path: 'i/:id/finding/:fid', screen: lazy('findings', 'edit'), tab: 'list' },
  { name: 'photos', path: 'i/:id/photos', screen: lazy('evidence', 'photos'), tab: 'list' },
  { name: 'party', path: 'i/:id/party', screen: lazy('evidence', 'party'), tab: 'list' },
  { name: 'signatures', path: 'i/:id/signatures', screen: lazy('signatures'), tab: 'list' },
  { name: 'sign', path: 'i/:id/sign/:who', screen: lazy('signatures', 'sign'), tab: 'list' },
  { name: 'result', path: 'i/:id/result', screen: lazy('result'), tab: 'list' },
  { name: 'review', path: 'i/:id/review', screen: lazy('result', 'review'), tab: 'list' },
  { name: 'preview', path: 'i/:id/preview', screen: lazy('preview'), tab: 'list' },
  { name: 'receipt', path: 'i/:id/receipt', screen: lazy('receipt'), tab: 'list' },
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
