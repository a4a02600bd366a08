# SPDX-License-Identifier: BSD-2-Clause
# fuzz_<group>: one harness per tests/fuzz/fuzz_<group>.c (STYLE R21).
# With MPANA_FUZZ=ON (clang) each is a libFuzzer binary; otherwise it is
# linked with fuzz_main.c, a plain main() that replays files. Either way
# ctest's fuzz.replay.<group> runs every input of tests/fuzz/corpus/<group>/
# (seeds and every past finding) under the build's sanitizers.
set(MPANA_FUZZ_GROUPS options packet pcap pcapfile)
foreach(_g ${MPANA_FUZZ_GROUPS})
  set(_corpus ${CMAKE_CURRENT_LIST_DIR}/corpus/${_g})
  if(MPANA_FUZZ)
    add_executable(fuzz_${_g} ${CMAKE_CURRENT_LIST_DIR}/fuzz_${_g}.c)
    target_link_options(fuzz_${_g} PRIVATE -fsanitize=fuzzer)
    add_test(NAME fuzz.replay.${_g} COMMAND fuzz_${_g} -runs=0 ${_corpus})
  else()
    add_executable(fuzz_${_g} ${CMAKE_CURRENT_LIST_DIR}/fuzz_${_g}.c
      ${CMAKE_CURRENT_LIST_DIR}/fuzz_main.c)
    add_test(NAME fuzz.replay.${_g} COMMAND fuzz_${_g} ${_corpus})
  endif()
  target_link_libraries(fuzz_${_g} PRIVATE mpana_core mpana_warnings)
  set_tests_properties(fuzz.replay.${_g} PROPERTIES LABELS fuzz TIMEOUT 300)
endforeach()
