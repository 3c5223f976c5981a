# The installed receiver package, used as a user would: tests/consumer is built
# out of tree against `cmake --install` output, with CMake and with pkg-config.
# It installs from this build directory, so it needs every installed target
# built (hookd and hookctl included), as a plain `cmake --build` does.
set(HOOKLINE_CONSUMER_FLAGS "")
if(HOOKLINE_SANITIZE)
  set(HOOKLINE_CONSUMER_FLAGS "-fsanitize=address,undefined")
elseif(HOOKLINE_TSAN)
  set(HOOKLINE_CONSUMER_FLAGS "-fsanitize=thread")
endif()
add_test(NAME receiver_install_consumer
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/consumer/run_consumer_test.sh
          ${CMAKE_BINARY_DIR} ${CMAKE_CURRENT_SOURCE_DIR}/consumer ${CMAKE_COMMAND}
          ${CMAKE_GENERATOR} ${CMAKE_CXX_COMPILER} "${HOOKLINE_CONSUMER_FLAGS}")
set_tests_properties(receiver_install_consumer PROPERTIES TIMEOUT 300)
