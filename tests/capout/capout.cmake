# SPDX-License-Identifier: BSD-2-Clause
# capout.<case>: -w, --conn ID -w and tcpdump's habits (-t forms, -v, -n,
# -S) against tcpdump, tshark and capinfos (tests/capout/capout_test.py;
# docs/mpana.1 WRITING PACKETS). They skip (77) when those tools are absent.
foreach(case write conn partial tforms verbose errors)
  add_test(NAME capout.${case} COMMAND ${MPANA_TEST_TMP} ${PYTHON3}
    ${CMAKE_CURRENT_LIST_DIR}/capout_test.py $<TARGET_FILE:mpana> ${PROJECT_SOURCE_DIR}/pcaps ${case})
  set_tests_properties(capout.${case} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)
endforeach()
# capout.live: --conn ID -w in one pass on a live capture of lo (root, MPTCP).
add_test(NAME capout.live COMMAND ${MPANA_TEST_TMP} bash ${CMAKE_CURRENT_LIST_DIR}/live_test.sh
  $<TARGET_FILE:mpana>)
set_tests_properties(capout.live PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)
