# Warnings for hookline's own targets only; third-party headers are included
# as system headers by their imported targets, so they do not trip -Werror.
function(hookline_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)
  # GCC 12 at -O3 reports impossible overlaps inside libstdc++'s own
  # std::string code (GCC bug 105329, fixed in 13): -Wrestrict there is noise.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(HOOKLINE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
