#include "app/version.hpp"

namespace brokerload::app {

std::string_view Version() { return BROKERLOAD_VERSION; }

}  // namespace brokerload::app
