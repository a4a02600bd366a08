# SPDX-License-Identifier: BSD-2-Clause
# check.<scenario>: every pcaps/ scenario against its expectation file
# (tests/check/<scenario>.expect); check.cli: exit codes, failing and broken
# expectation files, JUnit output (docs/check.md).
file(GLOB _check_files CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.expect)
foreach(_f ${_check_files})
  get_filename_component(_n ${_f} NAME_WE)
  add_test(NAME check.${_n} COMMAND ${MPANA_TEST_TMP} bash ${CMAKE_CURRENT_LIST_DIR}/run_check.sh
    $<TARGET_FILE:mpana> ${PROJECT_SOURCE_DIR}/pcaps/${_n}.pcap ${_f})
endforeach()
add_test(NAME check.cli COMMAND ${MPANA_TEST_TMP} bash ${CMAKE_CURRENT_LIST_DIR}/check_cli_test.sh
  $<TARGET_FILE:mpana> ${PROJECT_SOURCE_DIR}/pcaps)
