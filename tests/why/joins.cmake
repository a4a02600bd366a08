# SPDX-License-Identifier: BSD-2-Clause
# Join attempts and address use (include/mpana/joins.h) against a tshark
# oracle (joins_test.py) and the lab's truth files (why, expected subflows,
# nstat counters); every capture in pcaps/ (where joins fail and where they
# do not), the tcpdump test captures in ../shared/peer/tcpdump read in place
# (skipped when absent), and captures missing one handshake packet.
#   joins.<name>            mpana vs the oracle (and the truth file)
#   joins.peer.<name>       tcpdump's captures, oracle only
#   joins.drop.<case>       a capture without its SYN/ACK or fourth ACK
# Exit 77 (skip) when tshark is missing.
set(_jt ${CMAKE_CURRENT_LIST_DIR}/joins_test.py)
set(_pc ${PROJECT_SOURCE_DIR}/pcaps)
file(GLOB _jn_pcaps CONFIGURE_DEPENDS ${_pc}/*.pcap)
foreach(_p ${_jn_pcaps})
  get_filename_component(_n ${_p} NAME_WLE)
  if(EXISTS ${_pc}/${_n}.truth.json)
    add_test(NAME joins.${_n} COMMAND ${MPANA_TEST_TMP} ${PYTHON3} ${_jt} $<TARGET_FILE:mpana> ${_p}
      --truth ${_pc}/${_n}.truth.json)
  else()
    add_test(NAME joins.${_n} COMMAND ${MPANA_TEST_TMP} ${PYTHON3} ${_jt} $<TARGET_FILE:mpana> ${_p})
  endif()
endforeach()
foreach(_n mptcp-aa-echo mptcp-aa-v1 mptcp-dss-oobr mptcp-fclose mptcp-tcprst mptcp-v0 mptcp-v1)
  set(_p ${PROJECT_SOURCE_DIR}/../shared/peer/tcpdump/${_n}.pcap)
  add_test(NAME joins.peer.${_n} COMMAND ${MPANA_TEST_TMP} ${PYTHON3} ${_jt} $<TARGET_FILE:mpana> ${_p})
endforeach()
# basic.pcap frame 11: the first join's SYN/ACK (the join is established,
# inferred from its third ACK and what the responder sent after it; the
# second join's SYN moves from frame 14 to 13); frame 13: its fourth ACK
# (the responder's next ACK completes it). join_rejected.pcap frame 11: the
# SYN/ACK before the third ACK that the server resets.
add_test(NAME joins.drop.synack COMMAND ${MPANA_TEST_TMP} ${PYTHON3} ${_jt} $<TARGET_FILE:mpana>
  ${_pc}/basic.pcap --drop 11 10:established:inferred 13:established)
add_test(NAME joins.drop.ack4 COMMAND ${MPANA_TEST_TMP} ${PYTHON3} ${_jt} $<TARGET_FILE:mpana>
  ${_pc}/basic.pcap --drop 13 10:established 13:established)
add_test(NAME joins.drop.rejected_synack COMMAND ${MPANA_TEST_TMP} ${PYTHON3} ${_jt} $<TARGET_FILE:mpana>
  ${_pc}/join_rejected.pcap --drop 11 10:rejected)
get_property(_jn_tests DIRECTORY PROPERTY TESTS)
foreach(_t ${_jn_tests})
  if(_t MATCHES "^joins\\.")
    set_tests_properties(${_t} PROPERTIES SKIP_RETURN_CODE 77 LABELS why TIMEOUT 120)
  endif()
endforeach()

# joins.check.<name>: the check metrics (joins.*, addresses.*) on the same
# captures, with the figures of their truth files.
foreach(_n join_rejected join_timeout addr_unused basic)
  add_test(NAME joins.check.${_n} COMMAND ${MPANA_TEST_TMP} $<TARGET_FILE:mpana> check ${_pc}/${_n}.pcap
    --expect ${CMAKE_CURRENT_LIST_DIR}/expect/${_n}.expect)
  set_tests_properties(joins.check.${_n} PROPERTIES LABELS why)
endforeach()

# joins.verdict.<name>: the default checks' handshake verdict with and
# without joins: no join made is no incomplete join (addr_unused: the kernel
# joined nothing, truth file); a join given up or rejected is one.
add_test(NAME joins.verdict.addr_unused COMMAND ${MPANA_TEST_TMP} $<TARGET_FILE:mpana> check ${_pc}/addr_unused.pcap)
foreach(_n join_timeout join_rejected)
  add_test(NAME joins.verdict.${_n} COMMAND ${MPANA_TEST_TMP} $<TARGET_FILE:mpana> check ${_pc}/${_n}.pcap)
  set_tests_properties(joins.verdict.${_n} PROPERTIES
    PASS_REGULAR_EXPRESSION "FAIL  [^\n]*${_n}.pcap  handshake_order valid  \\(measured connection 1: join handshake incomplete\\)")
endforeach()
