# SPDX-License-Identifier: MIT
# FIOS_SANITIZERS="address;undefined" (the asan preset) or "thread".
if(FIOS_SANITIZERS)
  list(JOIN FIOS_SANITIZERS "," _fios_san)
  target_compile_options(fios_options INTERFACE -fsanitize=${_fios_san} -fno-omit-frame-pointer
                                                -fno-sanitize-recover=all)
  target_link_options(fios_options INTERFACE -fsanitize=${_fios_san})
endif()
