# SPDX-License-Identifier: BSD-2-Clause
# RFC 8684 §3. conn.truth.<pcap>: the connections and subflows mpana reassembles from each
# lab capture pcaps/<name>.pcap against pcaps/<name>.truth.json (every HMAC
# must verify). Exit 77 = skipped (no truth file).
find_program(PYTHON3 python3)
if(NOT PYTHON3)
  return()
endif()
file(GLOB _conn_truths CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/pcaps/*.truth.json)
foreach(_truth ${_conn_truths})
  string(REGEX REPLACE "\\.truth\\.json$" ".pcap" _pcap ${_truth})
  if(NOT EXISTS ${_pcap})
    continue()
  endif()
  get_filename_component(_name ${_pcap} NAME_WE)
  add_test(NAME conn.truth.${_name}
    COMMAND ${MPANA_TEST_TMP} ${PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/check_truth.py $<TARGET_FILE:mpana> ${_pcap})
  set_tests_properties(conn.truth.${_name} PROPERTIES SKIP_RETURN_CODE 77 LABELS conn TIMEOUT 600)
endforeach()

# conn.graph: `mpana graph` (DOT rendered with dot -Tsvg when installed).
add_test(NAME conn.graph COMMAND ${MPANA_TEST_TMP} bash ${CMAKE_CURRENT_LIST_DIR}/graph_test.sh
  $<TARGET_FILE:mpana> ${PROJECT_SOURCE_DIR}/pcaps)
set_tests_properties(conn.graph PROPERTIES SKIP_RETURN_CODE 77 LABELS conn)

# conn.json: conn/subflow ids, hmac_ok (true/false/null), hmac_side on
# tcpdump's captures in ../shared (skipped when absent).
add_test(NAME conn.json COMMAND ${MPANA_TEST_TMP} ${PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/check_json.py
  $<TARGET_FILE:mpana> ${PROJECT_SOURCE_DIR}/../shared/peer/tcpdump)
set_tests_properties(conn.json PROPERTIES SKIP_RETURN_CODE 77 LABELS conn)
# conn.flip_hmac: one HMAC byte flipped in a copy of a real capture is
# reported as failed at that frame (MP_JOIN SYN/ACK, third ACK, ADD_ADDR).
add_test(NAME conn.flip_hmac COMMAND ${MPANA_TEST_TMP} ${PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/flip_hmac_test.py
  $<TARGET_FILE:mpana> ${PROJECT_SOURCE_DIR}/pcaps/basic.pcap)
