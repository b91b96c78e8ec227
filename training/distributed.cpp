// c10d process groups for data-parallel training. See distributed.h.
//
// Gloo's headers are not in the torch wheel: Debian's libgloo-dev provides
// them (the Gloo compiled into the wheel is newer, so only the calls tested
// in tests/training/distributed_test.cpp are used: store, broadcast,
// allreduce, barrier and the Reducer's bucketed allreduce).
#include "training/distributed.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/reducer.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <thread>

namespace lrid {
namespace {

using Getter = std::function<const char*(const char*)>;

std::optional<std::string> env_value(const Getter& get, const char* key) {
  const char* v = get ? get(key) : std::getenv(key);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

int env_int(const char* key, const std::string& value, long lo, long hi) {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(value.c_str(), &end, 10);
  if (errno != 0 || end == value.c_str() || *end != '\0' || v < lo || v > hi)
    throw DistributedError(
        fmt::format("environment variable {}={}: expected an integer in [{}, {}]", key, value, lo, hi));
  return static_cast<int>(v);
}

// torchrun / lrid --nproc: RANK and WORLD_SIZE, with LOCAL_RANK, MASTER_ADDR, MASTER_PORT.
RankEnvironment torchrun_environment(const Getter& get, const std::string& world) {
  RankEnvironment e;
  e.launcher = "torchrun";
  e.world_size = env_int("WORLD_SIZE", world, 1, 1 << 20);
  const auto rank = env_value(get, "RANK");
  if (!rank) throw DistributedError(fmt::format("environment variable WORLD_SIZE={} is set but RANK is not", world));
  e.rank = env_int("RANK", *rank, 0, e.world_size - 1);
  const auto local = env_value(get, "LOCAL_RANK");
  e.local_rank = local ? env_int("LOCAL_RANK", *local, 0, e.world_size - 1) : e.rank;
  const auto local_world = env_value(get, "LOCAL_WORLD_SIZE");
  e.local_world_size = local_world ? env_int("LOCAL_WORLD_SIZE", *local_world, 1, e.world_size) : e.world_size;
  if (const auto addr = env_value(get, "MASTER_ADDR")) e.master_addr = *addr;
  if (const auto port = env_value(get, "MASTER_PORT")) e.master_port = env_int("MASTER_PORT", *port, 1, 65535);
  return e;
}

// srun: one task per rank. SLURM_STEP_NUM_TASKS (set by srun for its step)
// is preferred to SLURM_NTASKS, which a batch script sees for the whole job
// before any srun.
std::optional<RankEnvironment> slurm_environment(const Getter& get) {
  const auto procid = env_value(get, "SLURM_PROCID");
  auto ntasks = env_value(get, "SLURM_STEP_NUM_TASKS");
  if (!ntasks) ntasks = env_value(get, "SLURM_NTASKS");
  if (!procid || !ntasks || !env_value(get, "SLURM_STEP_ID")) return std::nullopt;
  RankEnvironment e;
  e.launcher = "slurm";
  e.world_size = env_int(env_value(get, "SLURM_STEP_NUM_TASKS") ? "SLURM_STEP_NUM_TASKS" : "SLURM_NTASKS", *ntasks, 1,
                         1 << 20);
  e.rank = env_int("SLURM_PROCID", *procid, 0, e.world_size - 1);
  const auto local = env_value(get, "SLURM_LOCALID");
  e.local_rank = local ? env_int("SLURM_LOCALID", *local, 0, e.world_size - 1) : 0;
  // "2(x3),1": this node's count is not marked, so the largest bounds it.
  e.local_world_size = e.world_size;
  if (const auto per_node = env_value(get, "SLURM_STEP_TASKS_PER_NODE")) {
    int most = 0;
    for (std::size_t i = 0; i < per_node->size();) {
      char* end = nullptr;
      const long n = std::strtol(per_node->c_str() + i, &end, 10);
      if (end == per_node->c_str() + i) break;
      most = std::max<int>(most, static_cast<int>(n));
      i = per_node->find(',', i);
      if (i == std::string::npos) break;
      ++i;
    }
    if (most > 0) e.local_world_size = std::min(most, e.world_size);
  }
  if (const auto addr = env_value(get, "MASTER_ADDR")) {
    e.master_addr = *addr;
  } else {
    std::optional<std::string> nodes = env_value(get, "SLURM_STEP_NODELIST");
    if (!nodes) nodes = env_value(get, "SLURM_JOB_NODELIST");
    if (!nodes) nodes = env_value(get, "SLURM_NODELIST");
    if (!nodes) throw DistributedError("srun: SLURM_PROCID is set but no SLURM_*NODELIST names the hosts");
    e.master_addr = first_host(*nodes);
  }
  if (const auto port = env_value(get, "MASTER_PORT")) {
    e.master_port = env_int("MASTER_PORT", *port, 1, 65535);
  } else if (const auto job = env_value(get, "SLURM_JOB_ID")) {
    // Every task of the step derives the same port; jobs sharing a node rarely collide.
    const int id = env_int("SLURM_JOB_ID", *job, 0, 2147483647);
    const auto step = env_value(get, "SLURM_STEP_ID");
    const int step_id = step ? std::abs(std::atoi(step->c_str())) : 0;
    e.master_port = 20000 + static_cast<int>((static_cast<int64_t>(id) * 7 + step_id) % 20000);
  }
  return e;
}

}  // namespace

RankEnvironment rank_environment(const Getter& get) {
  if (const auto world = env_value(get, "WORLD_SIZE")) return torchrun_environment(get, *world);
  if (auto slurm = slurm_environment(get)) return *slurm;
  return RankEnvironment{};
}

std::string first_host(const std::string& nodelist) {
  // The first entry ends at the first comma outside brackets.
  std::size_t end = 0;
  int depth = 0;
  for (; end < nodelist.size(); ++end) {
    const char ch = nodelist[end];
    if (ch == '[') ++depth;
    if (ch == ']') --depth;
    if (ch == ',' && depth == 0) break;
  }
  const std::string entry = nodelist.substr(0, end);
  const auto open = entry.find('[');
  if (open == std::string::npos) {
    if (entry.empty()) throw DistributedError(fmt::format("Slurm node list '{}' names no host", nodelist));
    return entry;
  }
  const auto close = entry.find(']', open);
  if (close == std::string::npos) throw DistributedError(fmt::format("Slurm node list '{}': unclosed '['", nodelist));
  const std::string ranges = entry.substr(open + 1, close - open - 1);
  const std::string first = ranges.substr(0, ranges.find_first_of(",-"));
  if (first.empty()) throw DistributedError(fmt::format("Slurm node list '{}': empty range", nodelist));
  return entry.substr(0, open) + first + entry.substr(close + 1);
}

int free_local_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw DistributedError("cannot open a socket to find a free port");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  if (!ok) throw DistributedError("cannot bind 127.0.0.1 to find a free port");
  return ntohs(addr.sin_port);
}

struct DataParallel::State {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroup> group;
  std::unique_ptr<c10d::Reducer> reducer;
  torch::Device device = torch::kCPU;
  std::chrono::milliseconds timeout{0};
  bool failed = false;
};

namespace {

// Gloo binds where the launcher says: GLOO_SOCKET_IFNAME as in PyTorch, the
// loopback address for a job on one machine, else this host's own name.
std::shared_ptr<::gloo::transport::Device> gloo_device(const std::string& master_addr) {
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  if (master_addr == "localhost" || master_addr.rfind("127.", 0) == 0)
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

}  // namespace

DataParallel::DataParallel(const RankEnvironment& env, torch::Device device, std::chrono::milliseconds timeout)
    : s_(std::make_unique<State>()), rank_(env.rank), world_(env.world_size) {
  s_->device = device;
  s_->timeout = timeout;
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(env.master_port);
    // Under torchrun the agent already serves the store on MASTER_PORT (and says so):
    // every rank is then a client of it, rank 0 included.
    const char* agent_store = std::getenv("TORCHELASTIC_USE_AGENT_STORE");
    so.isServer = env.rank == 0 && !(agent_store && std::string(agent_store) == "True");
    so.numWorkers = static_cast<std::size_t>(env.world_size);
    so.timeout = timeout;
    s_->store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, so);
    s_->group = c10::make_intrusive<c10d::ProcessGroup>(s_->store, rank_, world_);
    if (device.is_cuda()) {
#ifdef USE_C10D_NCCL
      auto o = c10d::ProcessGroupNCCL::Options::create();
      o->timeout = timeout;
      auto nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(s_->store, rank_, world_, o);
      s_->group->setBackend(c10::DeviceType::CUDA, c10d::ProcessGroup::NCCL, nccl);
      s_->group->setDefaultBackend(c10d::ProcessGroup::NCCL);
      backend_name_ = "nccl";
#else
      throw DistributedError("this build of LibTorch has no NCCL: data-parallel CUDA runs need USE_C10D_NCCL");
#endif
    } else {
      auto o = c10d::ProcessGroupGloo::Options::create(timeout);
      o->devices.push_back(gloo_device(env.master_addr));
      auto gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(s_->store, rank_, world_, o);
      s_->group->setBackend(c10::DeviceType::CPU, c10d::ProcessGroup::GLOO, gloo);
      s_->group->setDefaultBackend(c10d::ProcessGroup::GLOO);
      backend_name_ = "gloo";
    }
  } catch (const DistributedError&) {
    throw;
  } catch (const std::exception& e) {
    std::string what = e.what();
    throw DistributedError(fmt::format("rank {} of {} could not join the job at {}:{}: {}", rank_, world_,
                                       env.master_addr, env.master_port, what.substr(0, what.find('\n'))));
  }
}

DataParallel::~DataParallel() {
  if (!s_->failed) return;
  // A broken group's destructors may wait on peers that are gone: leave them
  // to the process's exit, which follows.
  (void)s_->reducer.release();
  (void)s_->group.release();
  (void)s_->store.release();
}

// One collective per tensor: Gloo reads a list of tensors as copies of one
// tensor (all of a size), not as several tensors. All are started, then waited on.
void DataParallel::broadcast(std::vector<torch::Tensor> tensors) {
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  for (auto& t : tensors) {
    std::vector<torch::Tensor> one = {t};
    works.push_back(s_->group->broadcast(one));
  }
  for (auto& w : works) w->wait();
}

void DataParallel::all_reduce_sum(std::vector<torch::Tensor> tensors) {
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  for (auto& t : tensors) {
    std::vector<torch::Tensor> one = {t};
    works.push_back(s_->group->allreduce(one));
  }
  for (auto& w : works) w->wait();
}

void DataParallel::barrier() {
  // A one-element allreduce: a barrier that the backend's timeout bounds on every backend.
  torch::Tensor t = torch::zeros({1}, torch::TensorOptions().device(s_->device));
  all_reduce_sum({t});
}

void DataParallel::attach_gradients(const std::vector<torch::Tensor>& params, int64_t bucket_bytes) {
  TORCH_CHECK(!s_->reducer, "attach_gradients: already attached");
  TORCH_CHECK(!params.empty(), "attach_gradients: no parameters");
  // As DDP: buckets filled in parameter order, then reversed, so the bucket of the
  // last layers (whose gradients the backward pass produces first) goes out first.
  auto [buckets, limits] = c10d::compute_bucket_assignment_by_size(
      params, {static_cast<size_t>(1 << 20), static_cast<size_t>(bucket_bytes)});
  std::reverse(buckets.begin(), buckets.end());
  std::vector<int64_t> caps(limits.rbegin(), limits.rend());
  // Every trained parameter is reached by every step's graph (W by the task
  // loss, B by its alignment loss), so no graph traversal per step
  // (find_unused_parameters = false, DDP's default).
  s_->reducer = std::make_unique<c10d::Reducer>(params, buckets, s_->group, std::vector<bool>(params.size(), false),
                                                bucket_bytes, /*find_unused_parameters=*/false,
                                                /*gradient_as_bucket_view=*/false,
                                                std::unordered_map<size_t, std::string>{}, int64_t{1} << 20,
                                                /*skip_all_reduce_unused_params=*/false,
                                                /*use_python_reducer=*/false, caps);
}

void DataParallel::before_forward() {
  if (s_->reducer) s_->reducer->prepare_for_forward();
}

void DataParallel::before_backward(const torch::Tensor& loss) {
  if (s_->reducer) s_->reducer->prepare_for_backward({loss});
}

std::string DataParallel::describe_failure(const std::string& what) {
  s_->failed = true;
  // Probing a dead store logs a warning with a stack trace per attempt: this line says it all.
  FLAGS_caffe2_log_level = std::max<int>(FLAGS_caffe2_log_level, 2);
  const std::string first = what.substr(0, what.find('\n'));
  std::vector<int> lost;
  try {
    s_->store->set(fmt::format("lrid/alive/{}", rank_), std::vector<uint8_t>{1});
    std::vector<std::string> keys;
    for (int r = 0; r < world_; ++r) keys.push_back(fmt::format("lrid/alive/{}", r));
    // Survivors notice within moments of each other; 5 s bounds the wait.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      lost.clear();
      for (int r = 0; r < world_; ++r)
        if (!s_->store->check({keys[static_cast<size_t>(r)]})) lost.push_back(r);
      if (lost.empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  } catch (const std::exception&) {
    lost = {0};  // the store lives in rank 0
  }
  if (lost.empty())
    return fmt::format("rank {} of {}: a collective failed though every rank answers: {}", rank_, world_, first);
  std::string names;
  for (int r : lost) names += (names.empty() ? "" : ", ") + std::to_string(r);
  return fmt::format("rank {} of {}: lost rank {} (no answer; {}); stopping", rank_, world_, names, first);
}

}  // namespace lrid
