"""What every face of the pages shares: signing in and out, the person's own account
and notices, the order page both parties use, and the helpers (i18n, labels, charts,
template filters, context processor, permission-checked files, catalog compiler)."""
