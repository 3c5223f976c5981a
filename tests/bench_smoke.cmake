# The benchmarks in a tiny configuration, so that they cannot rot between runs
# of bench/run: each must finish and write JSON holding every key and figure
# that bench/collect_results.py reports. Speeds are never checked (any build type, any
# load). Serial: each one times itself and starts hookd; two at once only slow both.
find_package(Python3 REQUIRED COMPONENTS Interpreter)

function(hookline_bench_smoke target)
  set(json ${CMAKE_CURRENT_BINARY_DIR}/bench_smoke/${target}.json)
  string(REPLACE ";" "|" args "${ARGN}")  # a list survives -D only without its ";"
  add_test(NAME bench_smoke:${target}
           COMMAND ${CMAKE_COMMAND} -DBENCH=$<TARGET_FILE:${target}> "-DARGS=${args}"
                   -DJSON=${json} -DPYTHON=${Python3_EXECUTABLE}
                   -DCHECK=${PROJECT_SOURCE_DIR}/bench/collect_results.py
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/bench_smoke_run.cmake)
  set_tests_properties(bench_smoke:${target} PROPERTIES LABELS bench-smoke RUN_SERIAL TRUE
                                                        TIMEOUT 60)
endfunction()

hookline_bench_smoke(hookd_bench --seconds 0.2 --backlog 300 --latency-seconds 0.5
                     --drain-limit 1.5)
hookline_bench_smoke(backlog_bench --rows 20000 --pending 1000 --seconds 3)
hookline_bench_smoke(receiver_bench --seconds 0.05)
