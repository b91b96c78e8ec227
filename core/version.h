// Version and git commit of this build (generated at build time).
#pragma once

namespace lrid {
const char* version();
const char* git_commit();
}  // namespace lrid
