"""Field work: the sync mutations and their store, reading records back, bundles, receipts, media, desk checks
and the office's list of inspections."""
