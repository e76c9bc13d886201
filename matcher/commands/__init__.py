"""Click commands of the `certmatch` CLI, one module per area."""
