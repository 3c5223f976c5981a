# Warnings for hookline's own targets only; third-party headers are included
# as system headers by their imported targets, so they do not trip -Werror.
function(hookline_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)
  if(HOOKLINE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
