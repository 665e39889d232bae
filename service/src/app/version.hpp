#pragma once

#include <string>
#include <string_view>

namespace brokerload::app {

// The release version, e.g. "0.1.0"; set by CMake from the project version.
std::string_view Version();

// `brokerload --version`: the version, then each library it runs with (the client libraries as
// they report themselves, prometheus-cpp and yaml-cpp as built against, OpenSSL as loaded) and
// the NATS data path, one per line, as `kcat -V` does.
std::string VersionReport();

}  // namespace brokerload::app
