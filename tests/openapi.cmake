# api/openapi.json against the routes hookd registers and the answers it gives.
hookline_test(openapi_test
  SOURCES integration/openapi_test.cc
  LIBS hookd_lib hookline_test_support PkgConfig::HTTPLIB nlohmann_json::nlohmann_json
       hookline_common hookline_db)
target_compile_definitions(openapi_test PRIVATE
  HOOKD_PATH="$<TARGET_FILE:hookd>" OPENAPI_PATH="${PROJECT_SOURCE_DIR}/api/openapi.json")
add_dependencies(openapi_test hookd)
