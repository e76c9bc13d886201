"""RQ job functions (they take ids, reload state and are idempotent) and process runners."""
