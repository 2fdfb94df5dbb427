// @ts-check
/* A classic script, run as soon as the page starts parsing (before the module graph has loaded): it opens
 * and closes an empty database so that the browser opens this origin's IndexedDB storage while the app's
 * modules are still loading. On a cold start that storage open is the largest single wait. */
try {
  const request = indexedDB.open('spotcheck-warmup');
  request.onsuccess = () => request.result.close();
} catch {
  /* no IndexedDB (private mode): the app reports it when it opens its own database */
}
