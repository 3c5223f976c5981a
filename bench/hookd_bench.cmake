# hookd_bench: hookd's ingest, delivery and end-to-end latency against baselines
# measured in the same run (see bench/hookd_bench.cc; run bench/run_hookd_bench.sh).
# Included from the top-level CMakeLists.txt when HOOKLINE_BUILD_BENCH is on.

add_executable(hookd_bench ${CMAKE_SOURCE_DIR}/bench/hookd_bench.cc)
target_link_libraries(hookd_bench PRIVATE PkgConfig::HTTPLIB nlohmann_json::nlohmann_json
                                          Threads::Threads hookline_common)
hookline_warnings(hookd_bench)
add_dependencies(hookd_bench hookd)
# The hookd built alongside; --hookd PATH overrides it at run time.
target_compile_definitions(hookd_bench PRIVATE HOOKD_PATH="$<TARGET_FILE:hookd>"
                                               HOOKLINE_BUILD_TYPE="${CMAKE_BUILD_TYPE}")
