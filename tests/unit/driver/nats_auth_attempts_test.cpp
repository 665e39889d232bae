// AuthAttempts and ConnectWithAuthAttempts: a signed authentication is tried again on a cnats
// that omits one signature in 256 (nats.c #705), and nothing else is.
#include <gtest/gtest.h>

#include <vector>

#include "driver/nats/nats_connection.hpp"

namespace brokerload::driver::nats {
namespace {

constexpr std::uint32_t kBookworm = 0x030401;  // cnats 3.4.1
constexpr std::uint32_t kFixed = 0x030800;     // 3.8.0, the first with the fix
constexpr std::uint32_t kTrixie = 0x030A01;    // 3.10.1

config::NatsTarget Target() {
  config::NatsTarget target;
  target.servers = {"nats://127.0.0.1:4222"};
  return target;
}

TEST(AuthAttempts, SignedCredentialsOnAnOldCnatsGetThree) {
  config::NatsTarget nkey = Target();
  nkey.nkey_seed_file = "/secrets/user.seed";
  config::NatsTarget creds = Target();
  creds.credentials_file = "/secrets/user.creds";
  EXPECT_EQ(AuthAttempts(nkey, kBookworm), 3);
  EXPECT_EQ(AuthAttempts(creds, kBookworm), 3);
  EXPECT_EQ(AuthAttempts(creds, kFixed - 1), 3);
  EXPECT_EQ(AuthAttempts(nkey, kFixed), 1);
  EXPECT_EQ(AuthAttempts(creds, kTrixie), 1);
}

TEST(AuthAttempts, UnsignedCredentialsGetOne) {
  config::NatsTarget none = Target();
  config::NatsTarget password = Target();
  password.user = "brokerload";
  EXPECT_EQ(AuthAttempts(none, kBookworm), 1);
  EXPECT_EQ(AuthAttempts(password, kBookworm), 1);
}

// `connect` returning `statuses` in turn; the number of calls made in `calls`.
auto Scripted(std::vector<natsStatus> statuses, std::size_t& calls) {
  return [statuses = std::move(statuses), &calls] { return statuses.at(calls++); };
}

TEST(ConnectWithAuthAttempts, ARefusalIsTriedAgainUntilItConnects) {
  std::size_t calls = 0;
  EXPECT_EQ(
      ConnectWithAuthAttempts(
          3, Scripted({NATS_CONNECTION_AUTH_FAILED, NATS_CONNECTION_AUTH_FAILED, NATS_OK}, calls)),
      NATS_OK);
  EXPECT_EQ(calls, 3u);
}

TEST(ConnectWithAuthAttempts, RefusedEveryTimeEndsAfterTheAttemptsWithTheRefusal) {
  std::size_t calls = 0;
  EXPECT_EQ(ConnectWithAuthAttempts(
                3, Scripted(std::vector<natsStatus>(5, NATS_CONNECTION_AUTH_FAILED), calls)),
            NATS_CONNECTION_AUTH_FAILED);
  EXPECT_EQ(calls, 3u);
  calls = 0;
  EXPECT_EQ(ConnectWithAuthAttempts(1, Scripted({NATS_CONNECTION_AUTH_FAILED, NATS_OK}, calls)),
            NATS_CONNECTION_AUTH_FAILED);
  EXPECT_EQ(calls, 1u);
}

TEST(ConnectWithAuthAttempts, OtherFailuresAreNotTriedAgain) {
  std::size_t calls = 0;
  EXPECT_EQ(ConnectWithAuthAttempts(3, Scripted({NATS_NO_SERVER, NATS_OK}, calls)), NATS_NO_SERVER);
  EXPECT_EQ(calls, 1u);
  calls = 0;
  EXPECT_EQ(ConnectWithAuthAttempts(3, Scripted({NATS_SSL_ERROR, NATS_OK}, calls)), NATS_SSL_ERROR);
  EXPECT_EQ(calls, 1u);
}

}  // namespace
}  // namespace brokerload::driver::nats
