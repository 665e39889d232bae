#include "driver/nats/nats_cleanup.hpp"

#include "driver/nats/nats_client.hpp"

namespace brokerload::driver::nats {
namespace {

// A connection and its JetStream context for one cleanup request; closed (and waited for) when
// it goes.
class Session {
 public:
  bool Open(const config::NatsTarget& target, std::string& error) {
    nc_ = Connect(target, "brokerload-cleanup", false, watch_, error);
    if (!nc_) return false;
    jsCtx* raw = nullptr;
    if (const natsStatus s = natsConnection_JetStream(&raw, nc_.get(), nullptr); s != NATS_OK) {
      error = "JetStream context: " + LastError(s);
      return false;
    }
    js_.reset(raw);
    return true;
  }
  ~Session() {
    js_.reset();
    if (!nc_) return;
    watch_.link.Close();  // closing is not an outage: no "connection lost" to log
    CloseAndWait(nc_, watch_);
  }
  jsCtx* js() const { return js_.get(); }

 private:
  Health health_;
  ConnectionWatch watch_{health_};
  ConnectionPtr nc_;
  JsPtr js_;
};

}  // namespace

bool Cleanup(const config::NatsTarget& target, const std::vector<std::string>& topics, bool dry_run,
             CleanupReport& report, std::string& error) {
  Session session;
  if (!session.Open(target, error)) return false;
  jsCtx* js = session.js();
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
  if (!session.Open(target, error)) return false;
  jsCtx* js = session.js();
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
