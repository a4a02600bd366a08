# SPDX-License-Identifier: BSD-2-Clause
# why.lab.<scenario>: every lab scenario (tests/lab/lab.py --list, read at
# configure time, so a new scenario is covered without an edit here) run
# afresh into the test's private TMPDIR; `mpana mib` on each of its captures
# must equal, counter by counter, what the kernel of that namespace counted
# in that run, and the fallbacks, stalls, join outcomes and address verdicts
# must be the ones the run made, also without one mapping-carrying frame
# (tests/why/lab_test.py). Needs root: skips (77) otherwise.
# Runs of different scenarios use namespaces, nft tables and processes of
# their own (names carry the lab's pid), so they run in parallel.
find_program(PYTHON3 python3)
if(PYTHON3)
  set(_lab ${PROJECT_SOURCE_DIR}/tests/lab/lab.py)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_lab})
  execute_process(COMMAND ${PYTHON3} ${_lab} --list OUTPUT_VARIABLE _wl_list
    RESULT_VARIABLE _wl_rc)
  if(_wl_rc EQUAL 0)
    string(REGEX MATCHALL "(^|\n)[a-z0-9_]+" _wl_names "${_wl_list}")
    foreach(_n ${_wl_names})
      string(STRIP "${_n}" _n)
      add_test(NAME why.lab.${_n} COMMAND ${MPANA_TEST_TMP} ${PYTHON3}
        ${CMAKE_CURRENT_LIST_DIR}/lab_test.py $<TARGET_FILE:mpana> ${_n})
      set_tests_properties(why.lab.${_n} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300
        LABELS "why;lab")
    endforeach()
  endif()
endif()
