// Name -> implementation registries (core/registry.h): names in registration
// order, aliases resolved to canonical names, unknown names as one ConfigError
// naming the place, the section, the name and the known ones, and parse_typed
// filling typed options through the entry's OptionsBinding.
#include "core/registry.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/errors.h"
#include "core/options_binding.h"
#include "test_util.h"

namespace lrid {
namespace {

struct ShapeOptions {
  std::string type;
  int64_t sides = 0;
  double size = 0;
  int64_t rotation = 0;
};

struct ShapeSpec {
  OptionsBinding<ShapeOptions> options;
  int64_t sides() const { return options.prototype().sides; }
};

// A shape's binding: its side count fixed in the prototype, its size a parameter.
ShapeSpec shape(int64_t sides, double size, bool rotates = false) {
  ShapeOptions p;
  p.sides = sides;
  p.size = size;
  OptionsBinding<ShapeOptions> b(p);
  b.add("size", &ShapeOptions::size);
  if (rotates) b.add("rotation", &ShapeOptions::rotation);
  return {b};
}

const Registry<ShapeSpec>& shape_registry() {
  static const Registry<ShapeSpec> r = [] {
    Registry<ShapeSpec> reg("shape");
    reg.add_typed("triangle", "three sides", shape(3, 1.0));
    reg.add_typed("square", "four sides", shape(4, 2.0, true));
    reg.add_typed("hexagon", "six sides", shape(6, 3.0));
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
  EXPECT_EQ(r.at("quad").factory.sides(), 4);
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

TEST(Registry, AddTypedTakesTheSchemaFromTheEntrysBinding) {
  const Schema s = shape_registry().schema("square");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].name, "size");
  EXPECT_EQ(s[0].default_value.Scalar(), "2");  // the prototype's value, in its shortest form
  EXPECT_EQ(s[1].default_value.as<int64_t>(), 0);
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
