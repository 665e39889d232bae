#include "driver/nats/nats_client.hpp"

namespace brokerload::driver::nats {

std::string LibraryVersion() { return nats_GetVersion(); }

void OpenLibrary() { nats_Open(-1); }

}  // namespace brokerload::driver::nats
