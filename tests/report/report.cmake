# SPDX-License-Identifier: BSD-2-Clause
# report.<scenario>: `mpana report` on every pcaps/ scenario, checked
# structurally (well-formed XHTML, one lane and one graph edge per subflow,
# failover bands exactly where the database has failovers, one dashed edge
# per failed join attempt, one entry per announced address; the why
# captures against their truth files; docs/report.md).
# report.why_columns: the fallback proof and the stalls table, shown when
# the database has them and absent without failing when it does not.
# report.from_db: from a database without option rows; report.conn: --conn;
# report.db_error: a database error while reading is exit 1 with its message;
# report.browser: failover's report rendered in headless Chromium (skips
# when chromium is not installed).
file(GLOB _report_pcaps CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/pcaps/*.pcap)
foreach(_p ${_report_pcaps})
  get_filename_component(_n ${_p} NAME_WLE)
  set(_fo db)
  if(_n STREQUAL "failover" OR _n STREQUAL "backup")
    set(_fo yes)
  endif()
  set(_why)
  if(_n STREQUAL "join_timeout" OR _n STREQUAL "join_rejected" OR _n STREQUAL "addr_unused")
    set(_why --why)
  endif()
  add_test(NAME report.${_n} COMMAND ${MPANA_TEST_TMP} ${PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/check_report.py
    $<TARGET_FILE:mpana> ${_p} --failover ${_fo} ${_why})
endforeach()
add_test(NAME report.from_db COMMAND ${MPANA_TEST_TMP} ${PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/check_report.py
  $<TARGET_FILE:mpana> ${PROJECT_SOURCE_DIR}/pcaps/failover.pcap --from-db --failover yes)
add_test(NAME report.conn COMMAND ${MPANA_TEST_TMP} ${PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/check_report.py
  $<TARGET_FILE:mpana> ${PROJECT_SOURCE_DIR}/pcaps/multiconn.pcap --conn 2)
add_test(NAME report.cli COMMAND ${MPANA_TEST_TMP} bash ${CMAKE_CURRENT_LIST_DIR}/report_cli_test.sh
  $<TARGET_FILE:mpana> ${PROJECT_SOURCE_DIR}/pcaps)
add_test(NAME report.db_error COMMAND ${MPANA_TEST_TMP} ${PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/db_error_test.py
  $<TARGET_FILE:mpana> ${PROJECT_SOURCE_DIR}/pcaps/failover.pcap)
add_test(NAME report.browser COMMAND ${MPANA_TEST_TMP} ${PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/browser_test.py
  $<TARGET_FILE:mpana> ${PROJECT_SOURCE_DIR}/pcaps/failover.pcap)
set_tests_properties(report.browser PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)
add_test(NAME report.why_columns COMMAND ${MPANA_TEST_TMP} ${PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/why_columns_test.py
  $<TARGET_FILE:mpana> ${PROJECT_SOURCE_DIR}/pcaps/fallback.pcap)
