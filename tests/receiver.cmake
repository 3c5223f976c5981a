# The receiver library's tests: unit tests per component, and the interop test
# that runs the official Standard Webhooks npm library against our code.

hookline_test(receiver_verifier_test
  SOURCES unit/verifier_test.cc
  LIBS hookline_receiver)

hookline_test(receiver_dedupe_test
  SOURCES unit/dedupe_test.cc
  LIBS hookline_receiver hookline_receiver_sqlite Threads::Threads)

hookline_test(receiver_test
  SOURCES unit/receiver_test.cc
  LIBS hookline_receiver nlohmann_json::nlohmann_json Threads::Threads)

# Interop with the official Standard Webhooks library (tests/interop/node_modules,
# installed by scripts/setup). The test fails, never skips, when it is missing.
add_executable(interop_tool interop/interop_tool.cc)
target_link_libraries(interop_tool PRIVATE hookline_receiver CLI11::CLI11)
hookline_warnings(interop_tool)

find_program(HOOKLINE_NODE node)
if(NOT HOOKLINE_NODE)
  message(WARNING "node not found: the interop test will fail; run scripts/setup")
  set(HOOKLINE_NODE node)
endif()
add_test(NAME interop_standardwebhooks
  COMMAND ${HOOKLINE_NODE} ${CMAKE_CURRENT_SOURCE_DIR}/interop/interop_test.js
          $<TARGET_FILE:interop_tool> $<TARGET_FILE:receiver_server>)
set_tests_properties(interop_standardwebhooks PROPERTIES TIMEOUT 30)
