#pragma once

#include <string_view>

namespace brokerload::app {

// The release version, e.g. "0.1.0"; set by CMake from the project version.
std::string_view Version();

}  // namespace brokerload::app
