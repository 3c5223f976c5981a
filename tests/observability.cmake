# Observability (issue 7): metrics, structured logs, stall detection.
# The unit tests join existing targets so that the TSan run (scripts/test
# --tsan runs db_test and sender_unit_test) covers the registry's concurrency.
target_sources(db_test PRIVATE unit/outbox_metrics_test.cc)
target_link_libraries(db_test PRIVATE SQLite::SQLite3)
target_sources(sender_unit_test PRIVATE unit/metrics_test.cc unit/observability_test.cc)
target_link_libraries(sender_unit_test PRIVATE nlohmann_json::nlohmann_json spdlog::spdlog)

hookline_test(hookd_observability_test
  SOURCES integration/hookd_observability_test.cc
  LIBS hookline_test_support PkgConfig::HTTPLIB nlohmann_json::nlohmann_json hookline_common
       SQLite::SQLite3)
target_compile_definitions(hookd_observability_test PRIVATE HOOKD_PATH="$<TARGET_FILE:hookd>")
add_dependencies(hookd_observability_test hookd)
