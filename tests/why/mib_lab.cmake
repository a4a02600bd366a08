# SPDX-License-Identifier: BSD-2-Clause
# mib.lab.<scenario>: every lab scenario (tests/lab/lab.py --list, read at
# configure time, so a new scenario is covered without an edit here) run
# afresh into the test's private TMPDIR; `mpana mib` on each of its captures
# must equal, counter by counter, what the kernel of that namespace counted
# in that run (tests/why/mib_lab.py). Needs root: skips (77) otherwise.
# Runs of different scenarios use namespaces, nft tables and processes of
# their own (names carry the lab's pid), so they run in parallel.
find_program(PYTHON3 python3)
if(PYTHON3)
  set(_lab ${PROJECT_SOURCE_DIR}/tests/lab/lab.py)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_lab})
  execute_process(COMMAND ${PYTHON3} ${_lab} --list OUTPUT_VARIABLE _ml_list
    RESULT_VARIABLE _ml_rc)
  if(_ml_rc EQUAL 0)
    string(REGEX MATCHALL "(^|\n)[a-z0-9_]+" _ml_names "${_ml_list}")
    foreach(_n ${_ml_names})
      string(STRIP "${_n}" _n)
      add_test(NAME mib.lab.${_n} COMMAND ${MPANA_TEST_TMP} ${PYTHON3}
        ${CMAKE_CURRENT_LIST_DIR}/mib_lab.py $<TARGET_FILE:mpana> ${_n})
      set_tests_properties(mib.lab.${_n} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300
        LABELS "why;lab")
    endforeach()
  endif()
endif()
