// Precompiled header shared by every translation unit of lrid_lib and the tests.
#pragma once
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>
