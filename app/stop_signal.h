// SIGTERM, the signal Slurm sends before preempting or at the end of a job's
// time: `lrid train` finishes the step it is in, writes a checkpoint, marks
// the run interrupted and exits with kExitInterrupted, so that a requeued job
// (or the same command again) resumes with no step lost; `lrid sweep` and the
// `--nproc` launcher pass the signal to their children, start nothing new and
// exit with the same code once the children have.
#pragma once
#include <atomic>

namespace lrid {

// EX_TEMPFAIL of sysexits.h: stopped on request; run the same command again to go on.
constexpr int kExitInterrupted = 75;

// Installs the SIGTERM handler (once); returns the flag it raises.
const std::atomic<bool>& install_stop_signal();

}  // namespace lrid
