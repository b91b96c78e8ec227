// Name -> implementation registries (core/registry.h): names in registration
// order, aliases resolved to canonical names, unknown names as one ConfigError
// naming the place, the section, the name and the known ones, and parse_typed
// filling typed options through the entry's parser.
#include "core/registry.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/errors.h"
#include "test_util.h"

namespace lrid {
namespace {

struct ShapeOptions {
  std::string type;
  int64_t sides = 0;
  double size = 0;
};

struct ShapeSpec {
  int64_t sides;
  void parse(const Params& p, ShapeOptions& o) const {
    o.sides = sides;
    o.size = p.get_real("size");
  }
};

const Registry<ShapeSpec>& shape_registry() {
  static const Registry<ShapeSpec> r = [] {
    Registry<ShapeSpec> reg("shape");
    reg.add("triangle", "three sides", {real_param("size", 1.0)}, ShapeSpec{3});
    reg.add("square", "four sides", {real_param("size", 2.0), int_param("rotation", 0)}, ShapeSpec{4});
    reg.add("hexagon", "six sides", {real_param("size", 3.0)}, ShapeSpec{6});
    reg.add_alias("quad", "square");
    reg.add_alias("tri", "triangle");
    return reg;
  }();
  return r;
}

TEST(Registry, NamesInRegistrationOrderAndAliasesResolved) {
  const auto& r = shape_registry();
  EXPECT_EQ(r.section(), "shape");
  EXPECT_EQ(r.names(), (std::vector<std::string>{"triangle", "square", "hexagon"}));  // not sorted
  EXPECT_EQ(r.canonical("quad", "here"), "square");
  EXPECT_EQ(r.canonical("square", "here"), "square");
  EXPECT_TRUE(r.known("tri"));
  EXPECT_TRUE(r.known("hexagon"));
  EXPECT_FALSE(r.known("circle"));
  EXPECT_FALSE(r.known("Square"));  // names are case-sensitive
  // at(), help() and schema() go through the alias to the entry.
  EXPECT_EQ(r.at("quad").factory.sides, 4);
  EXPECT_EQ(r.help("tri"), "three sides");
  ASSERT_EQ(r.schema("quad").size(), 2u);
  EXPECT_EQ(r.schema("quad")[1].name, "rotation");
}

TEST(Registry, UnknownNameIsAConfigErrorNamingPlaceSectionAndKnownNames) {
  const auto& r = shape_registry();
  const std::string needles[] = {"model.yaml:3", "unknown shape type 'circle'", "known: triangle, square, hexagon"};
  for (const auto& needle : needles)
    test::expect_error<ConfigError>([&] { r.canonical("circle", "model.yaml:3"); }, needle);
  // Through the base class and through at(), which names the section as the place.
  const RegistryBase& base = r;
  test::expect_error<ConfigError>([&] { base.schema("circle"); }, "shape: unknown shape type 'circle'");
  test::expect_error<ConfigError>([&] { r.at("circle"); }, "'circle'");
}

TEST(Registry, ParseTypedResolvesTheTypeAndRunsTheEntrysParser) {
  const auto& r = shape_registry();
  const Params p = parse_params(r.schema("square"), YAML::Load("{size: 0.5}"), ConfigSource{"f.yaml", {}}, "shape");
  const auto o = parse_typed<ShapeOptions>(r, "quad", p);
  EXPECT_EQ(o.type, "square");  // the canonical name, not the alias
  EXPECT_EQ(o.sides, 4);
  EXPECT_DOUBLE_EQ(o.size, 0.5);
  const Params d = parse_params(r.schema("hexagon"), YAML::Node(), ConfigSource{"f.yaml", {}}, "shape");
  EXPECT_DOUBLE_EQ(parse_typed<ShapeOptions>(r, "hexagon", d).size, 3.0);  // the schema's default
  test::expect_error<ConfigError>([&] { parse_typed<ShapeOptions>(r, "circle", d); }, "shape.type");
}

}  // namespace
}  // namespace lrid
