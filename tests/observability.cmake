# Observability (issue 7): metrics, structured logs, stall detection.
# The unit tests join existing targets so that the TSan run (scripts/test
# --tsan runs db_test and sender_unit_test) covers the registry's concurrency.
target_sources(sender_unit_test PRIVATE unit/metrics_test.cc)
target_sources(db_test PRIVATE unit/outbox_metrics_test.cc)
target_link_libraries(db_test PRIVATE SQLite::SQLite3)
