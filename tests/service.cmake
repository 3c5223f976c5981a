# Running hookd as a service: `hookd backup` (the db-level function and the
# command line, then the real command against a running hookd) and the example
# systemd units.
hookline_test(backup_test
  SOURCES unit/backup_test.cc
  LIBS hookd_lib hookline_db SQLite::SQLite3 Threads::Threads)

hookline_test(hookd_backup_test
  SOURCES integration/hookd_backup_test.cc
  LIBS hookline_test_support PkgConfig::HTTPLIB nlohmann_json::nlohmann_json SQLite::SQLite3
       Threads::Threads)
target_compile_definitions(hookd_backup_test PRIVATE HOOKD_PATH="$<TARGET_FILE:hookd>")
add_dependencies(hookd_backup_test hookd)

# contrib/'s systemd units pass `systemd-analyze verify` without warnings
# (skipped where systemd-analyze is not installed).
add_test(NAME systemd_units_verify
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/contrib/verify_units.sh ${PROJECT_SOURCE_DIR}/contrib
          $<TARGET_FILE:hookd>)
set_tests_properties(systemd_units_verify PROPERTIES TIMEOUT 60 SKIP_RETURN_CODE 77)
