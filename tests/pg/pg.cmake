# SPDX-License-Identifier: BSD-2-Clause
# pg.*: the PostgreSQL store (docs/postgresql.md) against a real server: each
# test starts a throwaway cluster of its own (tests/pg/cluster.sh: initdb in
# its private TMPDIR, a Unix socket only, stopped and removed at the end) and
# skips (77) with one line where no PostgreSQL server is installed.
#
# pg.store.<case>: the store cases of tests/store/store_test.sh on PostgreSQL
# (fulldisk is SQLite's alone).
foreach(case queries failover handshakes multi readonly usage nulls steperror unwritable
    writer2 sigint kill9)
  add_test(NAME pg.store.${case} COMMAND ${MPANA_TEST_TMP} bash
    ${PROJECT_SOURCE_DIR}/tests/store/store_test.sh $<TARGET_FILE:mpana> ${PROJECT_SOURCE_DIR}/pcaps
    ${case} pg)
  set_tests_properties(pg.store.${case} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)
endforeach()
# pg.concurrent: 4 writers at once into one database, then every table
# compared row by row with SQLite's for the same traces (psql, sqlite3).
add_test(NAME pg.concurrent COMMAND ${MPANA_TEST_TMP} bash
  ${CMAKE_CURRENT_LIST_DIR}/concurrent_test.sh $<TARGET_FILE:mpana> ${PROJECT_SOURCE_DIR}/pcaps)
set_tests_properties(pg.concurrent PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)
# pg.roles: docs/pg_roles.sql as it is: a sensor's login writes and may do
# nothing else, an analyst's reads with mpana query and report.
add_test(NAME pg.roles COMMAND ${MPANA_TEST_TMP} bash
  ${CMAKE_CURRENT_LIST_DIR}/roles_test.sh $<TARGET_FILE:mpana> ${PROJECT_SOURCE_DIR}/pcaps)
set_tests_properties(pg.roles PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)
# pg.partition: docs/pg_partitions.sql as it is: rows in their month's
# partition, every table still equal to SQLite's.
add_test(NAME pg.partition COMMAND ${MPANA_TEST_TMP} bash
  ${CMAKE_CURRENT_LIST_DIR}/partition_test.sh $<TARGET_FILE:mpana> ${PROJECT_SOURCE_DIR}/pcaps)
set_tests_properties(pg.partition PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)
# pg.check: mpana check on a PostgreSQL database gives the verdicts it gives
# on the trace and on the SQLite database of the same traces.
add_test(NAME pg.check COMMAND ${MPANA_TEST_TMP} bash
  ${CMAKE_CURRENT_LIST_DIR}/check_test.sh $<TARGET_FILE:mpana> ${PROJECT_SOURCE_DIR}/pcaps)
set_tests_properties(pg.check PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)
