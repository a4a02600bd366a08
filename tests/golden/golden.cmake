# SPDX-License-Identifier: BSD-2-Clause
# golden.<name>: each tests/golden/TESTLIST line "name pcap expected [args...]"
# runs `mpana -r pcap args...` and compares stdout exactly with the expected
# file (STYLE R20). MPANA_UPDATE_GOLDEN=1 in the environment rewrites the
# expected files instead; a failure writes <expected>.actual and shows a diff.
file(STRINGS ${CMAKE_CURRENT_LIST_DIR}/TESTLIST _golden_lines)
foreach(_line ${_golden_lines})
  string(STRIP "${_line}" _line)
  if(_line STREQUAL "" OR _line MATCHES "^#")
    continue()
  endif()
  separate_arguments(_fields UNIX_COMMAND "${_line}")
  list(GET _fields 0 _name)
  list(GET _fields 1 _pcap)
  list(GET _fields 2 _expected)
  list(LENGTH _fields _n)
  set(_args "")
  if(_n GREATER 3)
    list(SUBLIST _fields 3 -1 _args)
  endif()
  string(REPLACE ";" " " _args "${_args}")
  add_test(NAME golden.${_name}
    COMMAND ${CMAKE_COMMAND}
      -DMPANA=$<TARGET_FILE:mpana>
      -DPCAP=${PROJECT_SOURCE_DIR}/${_pcap}
      -DEXPECTED=${CMAKE_CURRENT_LIST_DIR}/${_expected}
      "-DARGS=${_args}"
      -P ${CMAKE_CURRENT_LIST_DIR}/run_golden.cmake)
endforeach()
