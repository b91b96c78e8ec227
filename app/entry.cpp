// The program behind main(). See entry.h.
#include "app/entry.h"

#include <c10/util/Exception.h>
#include <malloc.h>

#include <cstdio>
#include <exception>
#include <string>

#include "app/cli.h"
#include "core/errors.h"

namespace lrid {

int lrid_main(int argc, char** argv) {
  // Keep freed tensor memory in the process: glibc's default returns blocks
  // above ~32 MB to the kernel at once and trims the heap, so every training
  // step after a large transient allocation (evaluation, an observables
  // record) page-faults its working set back in; measured on the quickstart,
  // that churn cost more than the recording itself.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  try {
    return run_cli(argc, argv);
  } catch (const Error& e) {
    std::fprintf(stderr, "lrid: error: %s\n", e.what());
    return e.exit_code();
  } catch (const c10::Error& e) {
    std::string msg = e.what_without_backtrace();
    std::fprintf(stderr, "lrid: error: %s\n", msg.substr(0, msg.find('\n')).c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lrid: error: %s\n", e.what());
    return 1;
  }
}

}  // namespace lrid
