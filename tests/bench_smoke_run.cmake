# cmake -P driver of one bench-smoke test (see bench_smoke.cmake): runs BENCH
# with ARGS ("|"-separated) and --json JSON, then checks JSON with CHECK.
string(REPLACE "|" ";" args "${ARGS}")
get_filename_component(dir "${JSON}" DIRECTORY)
file(MAKE_DIRECTORY "${dir}")
file(REMOVE "${JSON}")  # a stale file from an earlier run must not pass the check
execute_process(COMMAND "${BENCH}" ${args} --json "${JSON}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${BENCH} exited with ${rc}")
endif()
execute_process(COMMAND "${PYTHON}" "${CHECK}" --check "${JSON}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${JSON} lacks keys or figures that bench/collect_results.py reports")
endif()
