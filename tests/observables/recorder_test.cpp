// The recorder in training runs: schedule, stream layout, agreement with the
// measures on the saved model, bit-identical streams for the same seeds, resume
// equals uninterrupted, several conditions, the feedback path's constant value
// on a linear FA layer, and a kill -9 in the middle of a recording run.
#include "observables/recorder.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <torch/cuda.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "training/checkpoint.h"
#include "training/config.h"
#include "core/errors.h"
#include "core/files.h"
#include "training/trainer.h"
#include "models/registry.h"
#include "observables/names.h"
#include "rules/rule.h"
#include "test_paths.h"
#include "test_util.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;

using test::TempDir;

std::string good() { return std::string(LRID_SOURCE_DIR) + "/tests/fixtures/configs/good.yaml"; }

Config small_config(std::vector<std::string> extra = {}) {
  std::vector<std::string> o = {"schedule.parameters.epochs=2", "run.parameters.checkpoint_every=0.5",
                                "run.parameters.keep_checkpoints=10", "observables.parameters.probe_batch=10"};
  o.insert(o.end(), extra.begin(), extra.end());
  return load_config(good(), o);
}

TrainResult quiet_train(const Config& c, const fs::path& dir, int64_t stop = -1) {
  TrainOptions o;
  o.progress = false;
  o.stop_at_step = stop;
  return train(c, dir, o);
}

// Rows of a stream: field vectors, header excluded.
std::vector<std::vector<std::string>> rows_of(const fs::path& csv) {
  std::istringstream in(read_file(csv));
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, ObservableStream::header());
  std::vector<std::vector<std::string>> out;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::istringstream ls(line);
    std::string cell;
    while (std::getline(ls, cell, ',')) f.push_back(cell);
    out.push_back(f);
  }
  return out;
}

TEST(RecordPoints, EvenlySpacedIncludingInitAndEnd) {
  RecorderOptions o;
  auto p = record_points(o, 100, 10);
  ASSERT_EQ(p.size(), 21u);
  for (int k = 0; k <= 20; ++k) {
    EXPECT_EQ(p[k].index, k);
    EXPECT_EQ(p[k].step, 5 * k);
    EXPECT_DOUBLE_EQ(p[k].epoch, 0.5 * k);
  }
  p = record_points(o, 7, 7);  // fewer steps than points: points share steps, in order
  ASSERT_EQ(p.size(), 21u);
  EXPECT_EQ(p.front().step, 0);
  EXPECT_EQ(p.back().step, 7);
  o.at_epochs = {0, 1.5, 3};
  p = record_points(o, 40, 10);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[1].step, 15);
  o.at_epochs = {5};
  EXPECT_THROW(record_points(o, 40, 10), ConfigError);
  o.at_epochs.clear();
  o.at_steps = {0, 41};
  EXPECT_THROW(record_points(o, 40, 10), ConfigError);
}

TEST(RecorderOptions, ConditionGrids) {
  Config c = small_config({"observables.parameters.subsample_fractions=[1.0, 0.01]",
                           "observables.parameters.noise_stddevs=[0, 1, 3]"});
  auto names = [](const RecorderOptions& o) {
    std::vector<std::string> v;
    for (const auto& m : o.conditions) v.push_back(m.name());
    return v;
  };
  EXPECT_EQ(names(recorder_options(c.observables.params, "t")),
            (std::vector<std::string>{"full", "frac0.01", "noise1", "noise3"}));
  c = small_config({"observables.parameters.subsample_fractions=[0.5]", "observables.parameters.noise_stddevs=[0, 1]",
                    "observables.parameters.condition_grid=product", "observables.parameters.obs_seed=2"});
  EXPECT_EQ(names(recorder_options(c.observables.params, "t")),
            (std::vector<std::string>{"frac0.5_seed2", "frac0.5_noise1_seed2"}));
  EXPECT_THROW(small_config({"observables.parameters.subsample_fractions=[0]"}), ConfigError);
  EXPECT_THROW(small_config({"observables.parameters.noise_stddevs=[-1]"}), ConfigError);
  EXPECT_THROW(small_config({"observables.parameters.at_steps=[1]", "observables.parameters.at_epochs=[1]"}),
               ConfigError);
  EXPECT_THROW(small_config({"observables.parameters.gradavg_path=backward"}), ConfigError);
}

TEST(Recorder, StreamLayoutAndAgreementWithTheFinalModel) {
  TempDir t;
  Config c = small_config();
  ASSERT_EQ(quiet_train(c, t.path() / "run").status, "finished");
  const fs::path dir = t.path() / "run" / "observables";
  ASSERT_TRUE(fs::exists(dir / "index.json"));
  auto rows = rows_of(dir / "full.csv");
  const std::size_t layers = 4, names = all_observables().size();
  ASSERT_EQ(rows.size(), 21 * layers * names);
  for (const auto& r : rows) ASSERT_EQ(r.size(), 9u);
  EXPECT_EQ(rows.front()[0], "run");
  EXPECT_EQ(rows.front()[3], "0");             // step of point 0: initialisation
  EXPECT_EQ(rows.back()[2], "20");             // last point
  EXPECT_EQ(rows.back()[3], "8");              // 2 epochs x 4 steps
  EXPECT_EQ(rows.back()[5], "fc4");
  EXPECT_EQ(rows.back()[6], "deep");
  // The last record's weight statistics equal those of the saved final model.
  Model m = make_model(c.model.type, c.model.params, 1, 16, 4, 0, layer_rule(c.rule.type, c.rule.params));
  load_checkpoint(list_checkpoints(t.path() / "run").back().second.string(), *m);
  UnitSampler all{MeasurementCondition{}};
  torch::Generator g = at::make_generator<at::CPUGeneratorImpl>(0);
  torch::Tensor w = weight_observables(tf_layout(m->layers()[1].layer->weight().detach()), WeightNormMode::kFrobenius,
                                       all, g);
  std::map<std::string, double> last;
  for (const auto& r : rows)
    if (r[2] == "20" && r[5] == "conv2") last[r[7]] = std::stod(r[8]);
  auto wnames = measure_observables(Measure::kWeight);
  for (std::size_t k = 0; k < wnames.size(); ++k)
    EXPECT_NEAR(last.at(wnames[k]), w[static_cast<int64_t>(k)].item<double>(),
                1e-12 * std::max(1.0, std::fabs(last.at(wnames[k]))))
        << wnames[k];
  // Recording time is accounted separately.
  const std::string status = read_file(t.path() / "run" / "status.json");
  EXPECT_NE(status.find("\"record_time_s\""), std::string::npos);
}

TEST(Recorder, SameSeedsGiveBitIdenticalStreamsAndResumeEqualsUninterrupted) {
  TempDir t;
  Config c = small_config({"observables.parameters.subsample_fractions=[0.3]",
                           "observables.parameters.noise_stddevs=[0.5]"});
  ASSERT_EQ(quiet_train(c, t.path() / "a").status, "finished");
  ASSERT_EQ(quiet_train(c, t.path() / "b").status, "finished");
  ASSERT_EQ(quiet_train(c, t.path() / "r", 5).status, "interrupted");  // as if killed after step 5
  ASSERT_EQ(quiet_train(c, t.path() / "r").status, "finished");
  for (const char* s : {"full.csv", "frac0.3.csv", "noise0.5.csv"}) {
    // The run column holds the directory name; compare everything after it.
    auto strip = [](const fs::path& p) {
      std::string out, line;
      std::istringstream in(read_file(p));
      while (std::getline(in, line)) out += line.substr(line.find(',')) + "\n";
      return out;
    };
    const std::string a = strip(t.path() / "a" / "observables" / s);
    EXPECT_EQ(a, strip(t.path() / "b" / "observables" / s)) << s;
    EXPECT_EQ(a, strip(t.path() / "r" / "observables" / s)) << s;
  }
  // The conditions really differ from the full measurement.
  EXPECT_NE(read_file(t.path() / "a" / "observables" / "full.csv").substr(200, 4000),
            read_file(t.path() / "a" / "observables" / "noise0.5.csv").substr(200, 4000));
}

TEST(Recorder, FeedbackPathOfALinearFaLayerIsConstantOverTraining) {
  TempDir t;
  Config c = small_config({"rule.type=fa", "observables.parameters.gradavg_path=feedback",
                           "observables.parameters.points=5"});
  ASSERT_EQ(quiet_train(c, t.path() / "fb").status, "finished");
  c = small_config({"rule.type=fa", "observables.parameters.points=5"});
  ASSERT_EQ(quiet_train(c, t.path() / "fw").status, "finished");
  auto values = [](const fs::path& csv, const std::string& layer) {
    std::vector<double> v;
    for (const auto& r : rows_of(csv))
      if (r[5] == layer && r[7] == "gradavgraw_id") v.push_back(std::stod(r[8]));
    return v;
  };
  auto fb = values(t.path() / "fb" / "observables" / "full.csv", "fc4");
  auto fw = values(t.path() / "fw" / "observables" / "full.csv", "fc4");
  ASSERT_EQ(fb.size(), 5u);
  for (double v : fb) EXPECT_NEAR(v, fb.front(), 1e-12);  // sum(B) / n_out: B is fixed under FA
  EXPECT_GT(std::fabs(fb.front() - fw.front()), 1e-4);    // B != W
  // (fc4's forward value sum(W) / n_out moves only through weight decay: the
  // softmax gradient sums to zero over classes.) ReLU layers' values move.
  auto conv = values(t.path() / "fw" / "observables" / "full.csv", "conv2");
  EXPECT_GT(std::fabs(conv.back() - conv.front()), 1e-6);
}

TEST(Recorder, CudaStreamsMatchCpuStreams) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  TempDir t;
  Config c = small_config({"observables.parameters.points=3", "schedule.parameters.epochs=1"});
  Config g = small_config({"observables.parameters.points=3", "schedule.parameters.epochs=1", "run.parameters.device=cuda"});
  ASSERT_EQ(quiet_train(c, t.path() / "cpu").status, "finished");
  ASSERT_EQ(quiet_train(g, t.path() / "gpu").status, "finished");
  auto a = rows_of(t.path() / "cpu" / "observables" / "full.csv");
  auto b = rows_of(t.path() / "gpu" / "observables" / "full.csv");
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i][7], b[i][7]);
    if (a[i][2] != "0") continue;  // at initialisation the networks are identical
    const double x = std::stod(a[i][8]), y = std::stod(b[i][8]);
    if (std::isnan(x)) EXPECT_TRUE(std::isnan(y)) << a[i][7];
    else EXPECT_NEAR(x, y, 1e-3 * std::max(1.0, std::fabs(x))) << a[i][5] << " " << a[i][7];
  }
}

TEST(Recorder, KillNineLeavesEveryStreamParseableAndTheLastRecordWhole) {
  TempDir t;
  const fs::path run = t.path() / "run";
  std::mt19937 rng(static_cast<unsigned>(std::random_device{}()));
  const int wait_records = 2 + static_cast<int>(rng() % 6);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    const std::string cfg = good();
    execl(LRID_BINARY, LRID_BINARY, "train", cfg.c_str(), "schedule.parameters.epochs=400",
          "observables.parameters.points=401", "observables.parameters.noise_stddevs=[0, 1]",
          "run.parameters.checkpoint_every=5", "--quiet", "--out", run.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Kill at a random record count, at a random moment inside the next record.
  const fs::path stream = run / "observables" / "full.csv";
  const std::size_t per_record = 4 * all_observables().size();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    if (fs::exists(stream) && rows_of(stream).size() >= per_record * static_cast<std::size_t>(wait_records)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::this_thread::sleep_for(std::chrono::microseconds(rng() % 20000));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the run ended before it was killed";
  for (const char* s : {"full.csv", "noise1.csv"}) {
    auto rows = rows_of(run / "observables" / s);
    ASSERT_GE(rows.size(), per_record) << s;
    EXPECT_EQ(rows.size() % per_record, 0u) << s << ": a torn record";
    for (const auto& r : rows) {
      ASSERT_EQ(r.size(), 9u) << s;
      EXPECT_NO_THROW(std::stod(r[8])) << s;
    }
    // Every record is whole: each point has every layer x observable.
    std::map<std::string, std::size_t> per_point;
    for (const auto& r : rows) ++per_point[r[2]];
    for (const auto& [p, n] : per_point) EXPECT_EQ(n, per_record) << s << " point " << p;
  }
}

}  // namespace
}  // namespace lrid
