// GPU assignment for sweeps (app/device_pool.cpp, app/sweep_runner.cpp): each
// concurrent run gets devices of its own, and its child sees only those and
// trains as its own job.
#include "app/device_pool.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "app/sweep_runner.h"
#include "core/errors.h"
#include "test_paths.h"
#include "test_util.h"

namespace lrid {
namespace {

namespace fs = std::filesystem;

TEST(DevicePool, HandsOutDisjointSetsAndTakesThemBack) {
  DevicePool pool({"0", "1", "2", "3"}, 2);
  EXPECT_EQ(pool.capacity(), 2);
  const auto a = pool.acquire(), b = pool.acquire();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(*b, (std::vector<std::string>{"2", "3"}));
  EXPECT_FALSE(pool.acquire());  // all four are out
  pool.release(*a);
  const auto c = pool.acquire();
  ASSERT_TRUE(c);
  EXPECT_EQ(*c, *a);
  EXPECT_THROW(pool.release({"7"}), std::logic_error);
}

TEST(DevicePool, ReleasedDevicesReturnInTheUsersOrder) {
  DevicePool pool({"3", "1", "2"}, 1);
  const auto x = pool.acquire(), y = pool.acquire(), z = pool.acquire();
  pool.release(*z);
  pool.release(*x);
  EXPECT_EQ(*pool.acquire(), std::vector<std::string>{"3"});  // "3" comes first in --devices
}

TEST(DevicePool, WithoutDevicesEveryRunGoesAndSeesAll) {
  DevicePool pool({}, 1);
  EXPECT_FALSE(pool.enabled());
  for (int i = 0; i < 10; ++i) EXPECT_EQ(pool.acquire(), std::vector<std::string>{});
}

TEST(DevicePool, BadListsAreNamed) {
  test::expect_error<ConfigError>([] { DevicePool({"0", "x"}, 1); }, "'x'");
  test::expect_error<ConfigError>([] { DevicePool({"0", "0"}, 1); }, "device 0 is listed twice");
  test::expect_error<ConfigError>([] { DevicePool({"0", ""}, 1); }, "''");
  test::expect_error<ConfigError>([] { DevicePool({"0", "1"}, 3); }, "--gpus-per-run 3");
  test::expect_error<ConfigError>([] { DevicePool({}, 2); }, "needs --devices");
  EXPECT_EQ(parse_device_list("0,2,5"), (std::vector<std::string>{"0", "2", "5"}));
  EXPECT_TRUE(parse_device_list("").empty());
}

// The sweep's children, seen through a stand-in for lrid that writes down its
// devices, its arguments and whether it sees a launcher's rank variables.
TEST(SweepDevices, EachConcurrentRunSeesOnlyItsOwnDevices) {
  test::TempDir t;
  const fs::path fake = t.path() / "fake_lrid.sh";
  {
    std::ofstream f(fake);
    f << "#!/bin/sh\n"
         "for a in \"$@\"; do case $prev in --out) out=$a;; esac; prev=$a; done\n"
         "echo \"$(date +%s%N) start ${CUDA_VISIBLE_DEVICES} ${WORLD_SIZE:-none} ${RANK:-none} $*\" >> "
         "\"$out/../events.txt\"\n"
         "sleep 0.3\n"
         "echo \"$(date +%s%N) end ${CUDA_VISIBLE_DEVICES}\" >> \"$out/../events.txt\"\n";
  }
  fs::permissions(fake, fs::perms::owner_all);
  SweepPlan plan = load_sweep(std::string(LRID_SOURCE_DIR) + "/tests/fixtures/sweeps/small.yaml");
  ASSERT_GE(plan.runs.size(), 4u);
  plan.runs.resize(4);
  SweepOptions o;
  o.jobs = 4;  // capped by the devices: 2 runs of 2 at a time
  o.progress = false;
  o.devices = {"0", "1", "2", "3"};
  o.gpus_per_run = 2;
  // As if the sweep itself ran inside a launched job: its runs must not join it.
  setenv("WORLD_SIZE", "8", 1);
  setenv("RANK", "3", 1);
  run_sweep(plan, t.path() / "sweep", o, fake.string());
  unsetenv("WORLD_SIZE");
  unsetenv("RANK");
  std::ifstream in(t.path() / "sweep" / "events.txt");
  std::string stamp, what, devices;
  std::map<std::string, int> holding;  // devices -> runs holding them now
  int starts = 0, most = 0, now = 0;
  std::vector<std::pair<long long, std::string>> events;
  std::string line;
  while (std::getline(in, line)) {
    std::stringstream ls(line);
    ls >> stamp >> what >> devices;
    if (what == "start") {
      ++starts;
      EXPECT_TRUE(devices == "0,1" || devices == "2,3") << line;
      EXPECT_NE(line.find(" none none "), std::string::npos) << "rank variables leaked: " << line;
      EXPECT_NE(line.find("--nproc 2"), std::string::npos) << line;
    }
    events.emplace_back(std::stoll(stamp), what + " " + devices);
  }
  std::sort(events.begin(), events.end());
  for (const auto& [ts, e] : events) {
    const bool start = e.rfind("start", 0) == 0;
    const std::string d = e.substr(e.find(' ') + 1);
    holding[d] += start ? 1 : -1;
    now += start ? 1 : -1;
    most = std::max(most, now);
    EXPECT_LE(holding[d], 1) << "two runs on devices " << d << " at once";
  }
  EXPECT_EQ(starts, 4);
  EXPECT_EQ(most, 2);
}

}  // namespace
}  // namespace lrid
