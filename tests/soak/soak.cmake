# Soaks against the real hookd: crash (kill -9 under load), chaos (a misbehaving
# receiver) and disk faults. crash_soak and chaos_soak are programs with
# parameters: ctest runs a short version of each, and tests/soak/*.sh run the
# long ones in a Release build.
function(hookline_soak_program name)
  add_executable(${name} soak/${name}.cc)
  target_link_libraries(${name} PRIVATE hookline_test_support PkgConfig::HTTPLIB
                        nlohmann_json::nlohmann_json SQLite::SQLite3 Threads::Threads)
  target_include_directories(${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_compile_definitions(${name} PRIVATE HOOKD_PATH="$<TARGET_FILE:hookd>")
  hookline_warnings(${name})
  add_dependencies(${name} hookd)
endfunction()

hookline_soak_program(crash_soak)
add_test(NAME crash_soak_short
         COMMAND crash_soak --kills 5 --clients 4 --duration-cap 40)
set_tests_properties(crash_soak_short PROPERTIES TIMEOUT 120 LABELS soak)

hookline_soak_program(chaos_soak)
target_link_libraries(chaos_soak PRIVATE hookline_common)
add_test(NAME chaos_soak_short
         COMMAND chaos_soak --events 300 --rate 150 --clients 4 --duration-cap 40)
set_tests_properties(chaos_soak_short PROPERTIES TIMEOUT 120 LABELS soak)

hookline_test(disk_fault_test
  SOURCES soak/disk_fault_test.cc
  LIBS hookline_test_support PkgConfig::HTTPLIB nlohmann_json::nlohmann_json)
target_compile_definitions(disk_fault_test PRIVATE HOOKD_PATH="$<TARGET_FILE:hookd>")
add_dependencies(disk_fault_test hookd)
