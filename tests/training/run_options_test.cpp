// The `run` section's binding: defaults, the parsed fields, and a specific
// error for a value outside a field's choices or range.
#include "training/run_options.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "core/errors.h"
#include "test_util.h"

namespace lrid {
namespace {

RunOptions parse_run(const std::string& yaml) {
  const Params p = parse_params(run_binding().schema(), YAML::Load(yaml), ConfigSource{"run.yaml", {}},
                                "run.parameters");
  return run_options(p);
}

TEST(RunOptions, DefaultsAndParsedFields) {
  const RunOptions d = parse_run("{}");
  EXPECT_EQ(d.batch_size, 128);
  EXPECT_EQ(d.precision, "auto");
  EXPECT_EQ(d.memory_format, "auto");
  EXPECT_EQ(d.device, "auto");
  const RunOptions o = parse_run("{batch_size: 32, precision: bf16, memory_format: channels_last, threads: 2}");
  EXPECT_EQ(o.batch_size, 32);
  EXPECT_EQ(o.precision, "bf16");
  EXPECT_EQ(o.memory_format, "channels_last");
  EXPECT_EQ(o.threads, 2);
}

TEST(RunOptions, BadValuesNameTheKey) {
  test::expect_error<ConfigError>([] { parse_run("{precision: fp8}"); }, "precision");
  test::expect_error<ConfigError>([] { parse_run("{batch_size: 0}"); }, "batch_size");
}

}  // namespace
}  // namespace lrid
