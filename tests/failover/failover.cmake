# SPDX-License-Identifier: BSD-2-Clause
# Failover latency (MPTCP-NOTES "Failover latency") against an independent
# oracle built on tshark fields only (oracle.py) and the lab's ground truth.
#   failover.<scenario>           episodes: mpana vs oracle vs truth
#   failover.<name>               captures without failure: no episode at all
#   failover.thinned.<scenario>   every 5th frame removed: no invented episode
#   failover.reinject.<name>      reinjected DSN ranges: mpana vs oracle (vs tshark)
# Exit 77 (skip) when tshark is missing.
# -DMPANA_FAILOVER_BIN=/path/to/mpana runs these tests against another build.
set(MPANA_FAILOVER_BIN "" CACHE FILEPATH "mpana binary for the failover.* tests (default: this build)")
if(MPANA_FAILOVER_BIN)
  set(_fo_bin ${MPANA_FAILOVER_BIN})
else()
  set(_fo_bin $<TARGET_FILE:mpana>)
endif()
set(_fo ${CMAKE_CURRENT_LIST_DIR}/compare.py)
set(_pc ${PROJECT_SOURCE_DIR}/pcaps)
foreach(_s failover backup flap download bridge bbm)
  if(EXISTS ${_pc}/${_s}.pcap)
    add_test(NAME failover.${_s} COMMAND ${MPANA_TEST_TMP} ${PYTHON3} ${_fo} episodes ${_fo_bin} ${_pc}/${_s}.pcap)
  endif()
endforeach()
if(EXISTS ${_pc}/bridge.server.pcap)
  add_test(NAME failover.bridge.server COMMAND ${MPANA_TEST_TMP} ${PYTHON3} ${_fo} episodes ${_fo_bin}
    ${_pc}/bridge.server.pcap --sender-pcap ${_pc}/bridge.pcap)
endif()
foreach(_s basic prio remove fastclose multiconn addrport checksum fallback ipv6 mpfail)
  add_test(NAME failover.${_s} COMMAND ${MPANA_TEST_TMP} ${PYTHON3} ${_fo} none ${_fo_bin} ${_pc}/${_s}.pcap)
endforeach()
foreach(_s failover)
  if(EXISTS ${_pc}/${_s}.pcap)
    add_test(NAME failover.thinned.${_s} COMMAND ${MPANA_TEST_TMP} ${PYTHON3} ${_fo} thinned ${_fo_bin} ${_pc}/${_s}.pcap)
  endif()
endforeach()
file(GLOB _fo_pcaps CONFIGURE_DEPENDS ${_pc}/*.pcap)
foreach(_p ${_fo_pcaps})
  get_filename_component(_n ${_p} NAME_WLE)
  add_test(NAME failover.reinject.${_n} COMMAND ${MPANA_TEST_TMP} ${PYTHON3} ${_fo} reinject ${_fo_bin} ${_p})
endforeach()
get_property(_fo_tests DIRECTORY PROPERTY TESTS)
foreach(_t ${_fo_tests})
  if(_t MATCHES "^failover\\.")
    set_tests_properties(${_t} PROPERTIES SKIP_RETURN_CODE 77 LABELS failover TIMEOUT 300)
  endif()
endforeach()

# failover.failback: failbacks only after the lab restored the path (flap.pcap).
if(EXISTS ${_pc}/flap.pcap)
  add_test(NAME failover.failback COMMAND ${MPANA_TEST_TMP} ${PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/failback_test.py
    ${_fo_bin} ${_pc}/flap.pcap)
endif()
# failover.live: real kernel traffic captured live; the episode's record is
# written while the capture goes on (root and network namespaces; else skip).
add_test(NAME failover.live COMMAND ${MPANA_TEST_TMP} bash ${CMAKE_CURRENT_LIST_DIR}/live_test.sh ${_fo_bin})
set_tests_properties(failover.live PROPERTIES SKIP_RETURN_CODE 77 RUN_SERIAL TRUE TIMEOUT 300
  LABELS "failover;lab")
if(TEST failover.failback)
  set_tests_properties(failover.failback PROPERTIES LABELS failover)
endif()
