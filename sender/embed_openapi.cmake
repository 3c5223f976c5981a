# Turns api/openapi.json into a C++ string so hookd serves its API description
# from inside the binary (one self-contained executable, like db/migrations).
# Split into pieces well under the 64 KiB string literal length that ISO C++
# compilers must support (-Wpedantic), joined once at first use.
file(READ "${INPUT}" doc)
string(LENGTH "${doc}" total)
set(body "// Generated from api/openapi.json by sender/embed_openapi.cmake. Do not edit.\n")
string(APPEND body "#include \"api_routes.h\"\nnamespace hookline::sender::api {\nconst std::string& OpenApiDocument() {\n  static const std::string kDoc = std::string()\n")
set(pos 0)
while(pos LESS total)
  string(SUBSTRING "${doc}" ${pos} 16000 piece)
  if(piece MATCHES "\\)hookline_json\"")
    message(FATAL_ERROR "api/openapi.json contains the raw string delimiter")
  endif()
  string(APPEND body "      + R\"hookline_json(${piece})hookline_json\"\n")
  math(EXPR pos "${pos} + 16000")
endwhile()
string(APPEND body "      ;\n  return kDoc;\n}\n}  // namespace hookline::sender::api\n")
file(WRITE "${OUTPUT}.tmp" "${body}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
