"""Field work: the sync mutations and their store, reading records back, bundles, receipts, media and desk checks."""
