#pragma once

#include <optional>
#include <string>

// NATS NKeys, the little cnats does not offer: the public key of a user seed, which
// natsOptions_SetNKeyFromSeed needs beside the seed file.
namespace brokerload::driver::nats {

// The public key (U...) of a user NKey seed (SU...), as `nk -inkey FILE -pubout` prints it;
// nullopt when `seed` is not a valid user seed.
std::optional<std::string> UserPublicKey(const std::string& seed);

// The public key of the first user seed in `file` (nk writes the seed alone on a line); nullopt
// with `error` (never the seed) when there is none.
std::optional<std::string> UserPublicKeyFromFile(const std::string& file, std::string& error);

}  // namespace brokerload::driver::nats
