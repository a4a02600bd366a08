# SPDX-License-Identifier: BSD-2-Clause
# Differential (oracle) tests, Python 3 standard library only.
#   peer.tcpdump.<name>  mpana --json vs tcpdump's expected output for each case
#                        of ../shared/peer/tcpdump/TESTLIST.mptcp
#   peer.tshark.<pcap>   mpana --json vs tshark -T fields for each pcaps/*.pcap
#   peer.tshark.synthetic  the same on a capture crafted by craft_pcap.py with
#                        every option form (all subtypes, odd lengths)
#   peer.tcpdump-local.<pcap>  mpana vs the installed tcpdump on pcaps/*.pcap
# Exit 77 = skipped (no ../shared, no tshark, no capture).
find_program(PYTHON3 python3)
if(NOT PYTHON3)
  message(STATUS "peer tests: python3 not found, not registered")
  return()
endif()

set(_peer_dir ${CMAKE_CURRENT_LIST_DIR})
set(_peer_shared ${PROJECT_SOURCE_DIR}/../shared/peer/tcpdump)

# peer.tcpdump.<name>: one per TESTLIST.mptcp case. Without ../shared a single
# placeholder test reports the skip.
set(_peer_tcpdump_names "")
if(EXISTS ${_peer_shared}/TESTLIST.mptcp)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
    ${_peer_shared}/TESTLIST.mptcp)
  file(STRINGS ${_peer_shared}/TESTLIST.mptcp _peer_lines)
  foreach(_line ${_peer_lines})
    string(STRIP "${_line}" _line)
    if(_line STREQUAL "" OR _line MATCHES "^(#|--)")
      continue()
    endif()
    separate_arguments(_fields UNIX_COMMAND "${_line}")
    list(GET _fields 0 _name)
    list(APPEND _peer_tcpdump_names ${_name})
  endforeach()
endif()
if(NOT _peer_tcpdump_names)
  set(_peer_tcpdump_names missing)
endif()
foreach(_name ${_peer_tcpdump_names})
  if(_name STREQUAL "missing")
    set(_args)
  else()
    set(_args ${_name})
  endif()
  add_test(NAME peer.tcpdump.${_name}
    COMMAND ${MPANA_TEST_TMP} ${PYTHON3} ${_peer_dir}/compare_tcpdump.py
      --mpana $<TARGET_FILE:mpana> --dir ${_peer_shared} ${_args})
  set_tests_properties(peer.tcpdump.${_name} PROPERTIES
    SKIP_RETURN_CODE 77 LABELS peer TIMEOUT 300)
endforeach()

# peer.tshark.<pcap>: one per capture of pcaps/ (glob at configure time; the
# CONFIGURE_DEPENDS re-globs on every build). Without captures a placeholder
# test reports the skip.
file(GLOB _peer_pcaps CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/pcaps/*.pcap)
if(NOT _peer_pcaps)
  add_test(NAME peer.tshark.nopcaps
    COMMAND ${MPANA_TEST_TMP} ${PYTHON3} ${_peer_dir}/diff_tshark.py --mpana $<TARGET_FILE:mpana>)
  set_tests_properties(peer.tshark.nopcaps PROPERTIES
    SKIP_RETURN_CODE 77 LABELS peer)
endif()
foreach(_pcap ${_peer_pcaps})
  get_filename_component(_name ${_pcap} NAME_WLE)
  add_test(NAME peer.tshark.${_name}
    COMMAND ${MPANA_TEST_TMP} ${PYTHON3} ${_peer_dir}/diff_tshark.py --mpana $<TARGET_FILE:mpana> ${_pcap})
  set_tests_properties(peer.tshark.${_name} PROPERTIES
    SKIP_RETURN_CODE 77 LABELS peer TIMEOUT 1800)
endforeach()

# peer.tcpdump-local.<pcap>: the installed tcpdump (4.99.3 on Debian 12) as a
# second oracle on the lab captures; it prints DSS checksums, which tshark
# does not.
foreach(_pcap ${_peer_pcaps})
  get_filename_component(_name ${_pcap} NAME_WLE)
  add_test(NAME peer.tcpdump-local.${_name}
    COMMAND ${MPANA_TEST_TMP} ${PYTHON3} ${_peer_dir}/compare_tcpdump.py --mpana $<TARGET_FILE:mpana>
      --pcap ${_pcap})
  set_tests_properties(peer.tcpdump-local.${_name} PROPERTIES
    SKIP_RETURN_CODE 77 LABELS peer TIMEOUT 1800)
endforeach()

add_test(NAME peer.tshark.synthetic
  COMMAND ${MPANA_TEST_TMP} ${PYTHON3} ${_peer_dir}/diff_tshark.py --mpana $<TARGET_FILE:mpana> --synthetic)
set_tests_properties(peer.tshark.synthetic PROPERTIES
  SKIP_RETURN_CODE 77 LABELS peer TIMEOUT 300)
