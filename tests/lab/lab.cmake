# SPDX-License-Identifier: BSD-2-Clause
# lab.verify: the committed pcaps/ still show what each scenario claims.
# lab.live: real kernel MPTCP traffic between network namespaces, captured
# live by mpana and by tcpdump at once; both must report the same options,
# and SIGINT must end mpana cleanly (exit 0, summary). Needs root; skips
# (exit 77) where namespaces cannot be created.
add_test(NAME lab.verify COMMAND ${MPANA_TEST_TMP} ${PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/lab.py
  --verify --out ${PROJECT_SOURCE_DIR}/pcaps)
add_test(NAME lab.live COMMAND ${MPANA_TEST_TMP} bash ${CMAKE_CURRENT_LIST_DIR}/live_test.sh $<TARGET_FILE:mpana>)
set_tests_properties(lab.live PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)
# why.tools: tests/why/drop_frame.py and nstat_compare.py on the bundled captures.
add_test(NAME why.tools COMMAND ${MPANA_TEST_TMP} ${PYTHON3} ${PROJECT_SOURCE_DIR}/tests/why/selftest.py)
