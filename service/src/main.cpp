// brokerload's entry point: parses arguments and maps outcomes to exit codes.
#include <cstdio>
#include <string_view>

#include "app/version.hpp"

namespace {

constexpr int kExitUsage = 64;

constexpr std::string_view kUsage = "usage: brokerload --version | --help\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string_view(argv[1]) == "--version") {
    std::printf("brokerload %.*s\n", static_cast<int>(brokerload::app::Version().size()),
                brokerload::app::Version().data());
    return 0;
  }
  if (argc == 2 && std::string_view(argv[1]) == "--help") {
    std::fputs(kUsage.data(), stdout);
    return 0;
  }
  std::fputs(kUsage.data(), stderr);
  return kExitUsage;
}
