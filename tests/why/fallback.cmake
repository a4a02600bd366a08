# SPDX-License-Identifier: BSD-2-Clause
# why.fallback: on every capture in pcaps/, the fallbacks (form, side, proof
# frame) its truth file names, checked against the kernels' counters, and
# connection stalls; none on the tcpdump test captures (read in place,
# skipped when absent); the same on a copy of every capture without one
# mapping-carrying frame (drop_frame.py).
find_program(PYTHON3 python3)
if(PYTHON3)
  add_test(NAME why.fallback COMMAND ${MPANA_TEST_TMP} ${PYTHON3}
    ${CMAKE_CURRENT_LIST_DIR}/fallback_test.py $<TARGET_FILE:mpana>
    ${PROJECT_SOURCE_DIR}/pcaps ${PROJECT_SOURCE_DIR}/../shared/peer/tcpdump)
  set_tests_properties(why.fallback PROPERTIES TIMEOUT 300)
endif()
# why.crafted: the fallback causes a lab run cannot make (md5sig) or makes
# only one way (simultaneous_connect), on captures written at run time
# (tests/why/craft.py), with the near-misses that are no fallback; the
# proof frame, the side, and mib's SimultConnectFallback.
if(PYTHON3)
  add_test(NAME why.crafted COMMAND ${MPANA_TEST_TMP} ${PYTHON3}
    ${CMAKE_CURRENT_LIST_DIR}/crafted_test.py $<TARGET_FILE:mpana>)
  set_tests_properties(why.crafted PROPERTIES TIMEOUT 120 LABELS why)
endif()
