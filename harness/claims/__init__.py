"""The claim API, the evidence a claim records, the pytest plugin and scheduler, the report, snapshots and the problem list."""
