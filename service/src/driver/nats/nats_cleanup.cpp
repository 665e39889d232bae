#include "driver/nats/nats_cleanup.hpp"

#include "driver/nats/nats_connection.hpp"
#include "driver/nats/nats_status.hpp"

namespace brokerload::driver::nats {
namespace {

// A cleanup request's own health: reported nowhere (no run owns it).
struct Session {
  Health health;
  JetStreamConnection connection{health};
};

}  // namespace

bool Cleanup(const config::NatsTarget& target, const std::vector<std::string>& topics, bool dry_run,
             CleanupReport& report, std::string& error) {
  Session session;
  if (!session.connection.Open(target, "brokerload-cleanup", false, error)) return false;
  jsCtx* js = session.connection.js();
  for (const std::string& topic : topics) {
    const std::string name = "stream " + topic;
    jsStreamInfo* info = nullptr;
    jsErrCode code{};
    natsStatus s = js_GetStreamInfo(&info, js, topic.c_str(), nullptr, &code);
    jsStreamInfo_Destroy(info);
    if (s == NATS_OK && dry_run) {
      report.kept.push_back(name + ": dry run");
      continue;
    }
    if (s == NATS_OK) s = js_DeleteStream(js, topic.c_str(), nullptr, &code);
    if (s == NATS_OK) {
      report.deleted.push_back(name);
    } else if (s == NATS_NOT_FOUND || code == JSStreamNotFoundErr) {
      report.absent.push_back(name);
    } else if (code == 0) {  // no JetStream verdict: the request itself failed
      error = name + ": " + LastError(s) + " (is JetStream enabled?)";
      return false;
    } else {
      report.kept.push_back(name + ": " + LastError(s) + " (JetStream error " +
                            std::to_string(static_cast<int>(code)) + ")");
    }
  }
  return true;
}

bool Activity(const config::NatsTarget& target, const std::vector<std::string>& topics,
              UseReport& use, std::string& error) {
  Session session;
  if (!session.connection.Open(target, "brokerload-cleanup", false, error)) return false;
  jsCtx* js = session.connection.js();
  use.in_use.clear();
  use.messages = 0;
  for (const std::string& topic : topics) {
    jsStreamInfo* info = nullptr;
    jsErrCode code{};
    const natsStatus s = js_GetStreamInfo(&info, js, topic.c_str(), nullptr, &code);
    if (s == NATS_OK) {
      use.messages += info->State.LastSeq;
      if (info->State.Consumers > 0) {
        use.in_use.push_back("stream " + topic + ": " + std::to_string(info->State.Consumers) +
                             " consumers");
      }
    }
    jsStreamInfo_Destroy(info);
    if (s != NATS_OK && s != NATS_NOT_FOUND && code != JSStreamNotFoundErr) {
      error = "stream " + topic + ": " + LastError(s);
      return false;
    }
  }
  return true;
}

}  // namespace brokerload::driver::nats
