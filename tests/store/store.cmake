# SPDX-License-Identifier: BSD-2-Clause
# store.<case>: `mpana --db` and `mpana query` end to end on the pcaps/
# scenarios, plus the safety cases (tests/store/store_test.sh). The live
# cases (sigint, kill9, writer2) and fulldisk need root; they skip (77)
# otherwise.
foreach(case queries failover handshakes multi readonly usage nulls steperror unwritable
    fulldisk writer2 sigint kill9)
  add_test(NAME store.${case} COMMAND ${MPANA_TEST_TMP} bash ${CMAKE_CURRENT_LIST_DIR}/store_test.sh
    $<TARGET_FILE:mpana> ${PROJECT_SOURCE_DIR}/pcaps ${case})
  set_tests_properties(store.${case} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)
endforeach()
