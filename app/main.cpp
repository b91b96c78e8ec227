// lrid entry point (app/entry.h holds the program; this file stays free of
// heavy headers so that the executable's own unit compiles in a moment).
#include "app/entry.h"

int main(int argc, char** argv) { return lrid::lrid_main(argc, argv); }
