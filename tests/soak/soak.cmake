# Soaks against the real hookd: crash (kill -9 under load), chaos (a misbehaving
# receiver) and disk faults. crash_soak and chaos_soak are programs with
# parameters: ctest runs a short version of each, and tests/soak/*.sh run the
# long ones in a Release build.
hookline_test(disk_fault_test
  SOURCES soak/disk_fault_test.cc
  LIBS hookline_test_support PkgConfig::HTTPLIB nlohmann_json::nlohmann_json)
target_compile_definitions(disk_fault_test PRIVATE HOOKD_PATH="$<TARGET_FILE:hookd>")
add_dependencies(disk_fault_test hookd)
