#pragma once

#include <functional>
#include <string>
#include <string_view>

// The callback by which config's loader vets client pass-through properties
// (targets.kafka.producer/consumer) without linking a client library: the driver module supplies
// it (driver::CheckClientProperty), so that drivers need config.hpp and this, not the loader.
namespace brokerload::config {

// A client pass-through property (targets.kafka.producer/consumer) that the client library
// refuses. The check lives in the driver module so that config needs no client library.
enum class ClientRole { kProducer, kConsumer };
enum class PropertyProblem { kNone, kUnknown, kWrongRole, kBadValue };
struct PropertyVerdict {
  PropertyProblem problem = PropertyProblem::kNone;
  std::string hint;  // "did you mean linger.ms?", or the library's reason for a bad value
};
using PropertyCheck = std::function<PropertyVerdict(ClientRole role, const std::string& name,
                                                    const std::string& value)>;

// True for property names whose values are secrets: their values appear in no message. Defined
// in security_reader.cpp (the loader hides them too).
bool IsSecretProperty(std::string_view name);

}  // namespace brokerload::config
