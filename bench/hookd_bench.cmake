# hookd's benchmarks, each figure beside a baseline measured in the same run
# (bench/run builds them in release mode and runs them all):
#   hookd_bench    ingest, delivery and end-to-end latency (bench/hookd_bench.cc)
#   backlog_bench  delivery rate and peak RSS over a 1M-row deliveries table
# Included from the top-level CMakeLists.txt when HOOKLINE_BUILD_BENCH is on.

add_library(hookline_bench_common STATIC ${CMAKE_SOURCE_DIR}/bench/bench_common.cc)
target_include_directories(hookline_bench_common PUBLIC ${CMAKE_SOURCE_DIR}/bench)
target_link_libraries(hookline_bench_common PUBLIC PkgConfig::HTTPLIB nlohmann_json::nlohmann_json
                                                   Threads::Threads hookline_common)
hookline_warnings(hookline_bench_common)

foreach(bench hookd_bench backlog_bench)
  add_executable(${bench} ${CMAKE_SOURCE_DIR}/bench/${bench}.cc)
  target_link_libraries(${bench} PRIVATE hookline_bench_common)
  hookline_warnings(${bench})
  add_dependencies(${bench} hookd)
  # The hookd built alongside; --hookd PATH overrides it at run time.
  target_compile_definitions(${bench} PRIVATE HOOKD_PATH="$<TARGET_FILE:hookd>"
                                              HOOKLINE_BUILD_TYPE="${CMAKE_BUILD_TYPE}")
endforeach()
# backlog_bench writes the backlog straight into hookd's database file.
target_link_libraries(backlog_bench PRIVATE SQLite::SQLite3)
