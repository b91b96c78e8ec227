// Data-parallel training on PyTorch's own distributed layer (c10d, from the
// same torch wheel): rendezvous through c10d::TCPStore, collectives through
// c10d::ProcessGroupGloo on CPU and c10d::ProcessGroupNCCL on CUDA, gradient
// averaging through c10d::Reducer (buckets all-reduced as the backward pass
// fills them, as torch.nn.parallel.DistributedDataParallel does).
//
// Launchers: the variables torchrun sets (RANK, WORLD_SIZE, LOCAL_RANK,
// MASTER_ADDR, MASTER_PORT; `lrid train --nproc N` sets the same), else the
// ones srun sets (SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, the first host of
// SLURM_STEP_NODELIST or SLURM_JOB_NODELIST, a port derived from
// SLURM_JOB_ID), else one process and no process group at all.
#pragma once
#include <torch/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/errors.h"

namespace lrid {

// A lost or unreachable rank, a failed rendezvous or collective: exit code 6.
using DistributedError = ErrorKind<6>;

// Where this process sits in a data-parallel job.
struct RankEnvironment {
  int rank = 0, world_size = 1, local_rank = 0;
  int local_world_size = 1;  // ranks on this host (they share its cores)
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::string launcher = "none";  // none | torchrun | slurm
};

// The launcher's variables, read through `get` (std::getenv by default).
// Throws DistributedError naming the variable when one is malformed.
RankEnvironment rank_environment(const std::function<const char*(const char*)>& get = {});

// The first host of a Slurm node list: "gpu[03-05,09],cpu1" -> "gpu03".
std::string first_host(const std::string& nodelist);

// A free TCP port on 127.0.0.1 (for a launcher on one machine).
int free_local_port();

// One process's membership of a data-parallel job (world_size > 1).
class DataParallel {
 public:
  // Joins the job: rank 0 hosts the store; every rank waits for the others up
  // to `timeout`, which also bounds every collective.
  DataParallel(const RankEnvironment& env, torch::Device device, std::chrono::milliseconds timeout);
  ~DataParallel();
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  int rank() const { return rank_; }
  int world_size() const { return world_; }
  const std::string& backend_name() const { return backend_name_; }

  // In place, every rank: rank 0's values / the element-wise sum over ranks.
  void broadcast(std::vector<torch::Tensor> tensors);
  void all_reduce_sum(std::vector<torch::Tensor> tensors);
  void barrier();

  // Gradient averaging for `params` (those that require a gradient, in a
  // fixed order): call before_forward() and before_backward(loss) around each
  // training step's forward pass; backward() then leaves every parameter's
  // .grad averaged over the ranks.
  void attach_gradients(const std::vector<torch::Tensor>& params, int64_t bucket_bytes = 25 << 20);
  void before_forward();
  void before_backward(const torch::Tensor& loss);

  // After a collective failed: which ranks are lost, as one line. Survivors
  // mark themselves in the store and wait briefly for each other; a rank
  // that does not answer is named, and rank 0 when the store (which lives in
  // rank 0) is gone. Marks this object failed, so that its destructor leaves
  // the broken process group alone instead of waiting on it.
  std::string describe_failure(const std::string& what);

 private:
  struct State;
  std::unique_ptr<State> s_;
  int rank_ = 0, world_ = 1;
  std::string backend_name_;
};

}  // namespace lrid
