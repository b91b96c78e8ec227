// Fuzz target: the HDF5 trajectory dataset (trajectories/trajectory_dataset.h
// read_dataset), as `lrid classify` and `lrid identify` read it.
#include "fuzz_util.h"
#include "trajectories/trajectory_dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lrid::fuzz;
  const fs::path path = scratch() / "dataset.h5";
  write_file(path, std::string_view(reinterpret_cast<const char*>(data), size));
  return guarded([&] {
    const lrid::TrajectoryDataset d = lrid::read_dataset(path.string());
    d.validate(path.string());
    lrid::select_observables(d, "every");
    d.subset({0});
  });
}
