# `cmake --install` for users of the receiver library: the static libraries,
# their public headers, a CMake package (find_package(hookline) ->
# hookline::receiver) and pkg-config files. hookd and hookctl install their own
# executables; tests and benchmarks install nothing.
#
# Layout of the package:
#   hookline::receiver          the verifier, Receiver and memory dedupe store
#                               (needs OpenSSL's libcrypto only)
#   hookline::common            signing, secrets, clock (linked by receiver)
#   hookline::receiver_sqlite   component receiver_sqlite (needs SQLite3)
#   hookline::receiver_httplib  component receiver_httplib (needs cpp-httplib)
# Each adapter has its own export file, loaded only when its component is asked
# for, so a user of the core library never needs SQLite or cpp-httplib.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(HOOKLINE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/hookline)

set_target_properties(hookline_common PROPERTIES EXPORT_NAME common)
set_target_properties(hookline_receiver PROPERTIES EXPORT_NAME receiver)
set_target_properties(hookline_receiver_sqlite PROPERTIES EXPORT_NAME receiver_sqlite)
set_target_properties(hookline_receiver_httplib PROPERTIES EXPORT_NAME receiver_httplib)

install(TARGETS hookline_common hookline_receiver
  EXPORT hooklineReceiverTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS hookline_receiver_sqlite
  EXPORT hooklineReceiverSqliteTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS hookline_receiver_httplib
  EXPORT hooklineReceiverHttplibTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})

# The receiver's headers include common's (status.h, secret.h, signing.h ...),
# so both trees are installed; hookline_db's headers are hookd-internal.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/common/include/ ${PROJECT_SOURCE_DIR}/receiver/include/
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")

install(EXPORT hooklineReceiverTargets
  FILE hooklineReceiverTargets.cmake
  NAMESPACE hookline::
  DESTINATION ${HOOKLINE_CMAKE_DIR})
install(EXPORT hooklineReceiverSqliteTargets
  FILE hooklineReceiverSqliteTargets.cmake
  NAMESPACE hookline::
  DESTINATION ${HOOKLINE_CMAKE_DIR})
install(EXPORT hooklineReceiverHttplibTargets
  FILE hooklineReceiverHttplibTargets.cmake
  NAMESPACE hookline::
  DESTINATION ${HOOKLINE_CMAKE_DIR})

configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/hooklineConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/hooklineConfig.cmake
  INSTALL_DESTINATION ${HOOKLINE_CMAKE_DIR})
# Before 1.0 a minor release may change the API, so only the same major.minor
# satisfies a request (find_package(hookline 0.1) accepts 0.1.x only).
write_basic_package_version_file(
  ${CMAKE_CURRENT_BINARY_DIR}/hooklineConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${CMAKE_CURRENT_BINARY_DIR}/hooklineConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/hooklineConfigVersion.cmake
  DESTINATION ${HOOKLINE_CMAKE_DIR})

# pkg-config files. They locate the prefix from their own directory
# (${pcfiledir}), so an install moved with `--prefix` or DESTDIR still works.
# The libraries are static archives, so what they link against (libcrypto,
# sqlite3, cpp-httplib) is a plain Requires: every link of a program needs it.
file(RELATIVE_PATH HOOKLINE_PC_TO_PREFIX
  ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" HOOKLINE_PC_TO_PREFIX "${HOOKLINE_PC_TO_PREFIX}")
foreach(pc IN ITEMS hookline-receiver hookline-receiver-sqlite hookline-receiver-httplib)
  configure_file(${CMAKE_CURRENT_LIST_DIR}/${pc}.pc.in ${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc @ONLY)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()
