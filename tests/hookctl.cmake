# hookctl, the admin CLI, driven as a subprocess against a real hookd.
hookline_test(hookctl_test
  SOURCES integration/hookctl_test.cc
  LIBS hookline_test_support PkgConfig::HTTPLIB nlohmann_json::nlohmann_json)
target_compile_definitions(hookctl_test PRIVATE
  HOOKD_PATH="$<TARGET_FILE:hookd>" HOOKCTL_PATH="$<TARGET_FILE:hookctl>")
add_dependencies(hookctl_test hookd hookctl)
