#include "app/version.hpp"

#include <openssl/crypto.h>

#include "driver/factory.hpp"

namespace brokerload::app {

std::string_view Version() { return BROKERLOAD_VERSION; }

std::string VersionReport() {
  std::string report = "brokerload " + std::string(Version()) + "\n";
  auto line = [&](const std::string& name, const std::string& version) {
    report +=
        "  " + name + std::string(name.size() < 16 ? 16 - name.size() : 1, ' ') + version + "\n";
  };
  for (const auto& [name, version] : driver::ClientLibraries()) line(name, version);
  line("prometheus-cpp", BROKERLOAD_PROMETHEUS_CPP_VERSION);
  line("yaml-cpp", BROKERLOAD_YAML_CPP_VERSION);
  line("OpenSSL", OpenSSL_version(OPENSSL_VERSION));
  return report;
}

}  // namespace brokerload::app
