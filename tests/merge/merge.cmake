# SPDX-License-Identifier: BSD-2-Clause
# merge.<case>: several -r inputs as one trace (include/mpana/merge.h), on the
# lab's per-path, per-host captures of one failover (pcaps/paths*.pcap),
# against the host capture, tshark's fields and the lab's cut time.
find_program(PYTHON3 python3)
if(PYTHON3)
  foreach(_c paths ends superset frames self pcapng usage filter mib check)
    add_test(NAME merge.${_c} COMMAND ${MPANA_TEST_TMP} ${PYTHON3}
      ${CMAKE_CURRENT_LIST_DIR}/merge_test.py $<TARGET_FILE:mpana>
      ${PROJECT_SOURCE_DIR}/pcaps ${_c})
    set_tests_properties(merge.${_c} PROPERTIES SKIP_RETURN_CODE 77 LABELS merge)
  endforeach()
endif()
