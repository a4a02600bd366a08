# SPDX-License-Identifier: BSD-2-Clause
# why.fallback: fallback causes (form, side, proof frame) and connection
# stalls vs the kernel's counters in the lab truth files and vs tshark;
# nothing on every other capture, on the tcpdump test captures (read in
# place, skipped when absent) and on drop_frame.py copies.
find_program(PYTHON3 python3)
if(PYTHON3)
  add_test(NAME why.fallback COMMAND ${MPANA_TEST_TMP} ${PYTHON3}
    ${CMAKE_CURRENT_LIST_DIR}/fallback_test.py $<TARGET_FILE:mpana>
    ${PROJECT_SOURCE_DIR}/pcaps ${PROJECT_SOURCE_DIR}/../shared/peer/tcpdump)
  set_tests_properties(why.fallback PROPERTIES TIMEOUT 300)
endif()
