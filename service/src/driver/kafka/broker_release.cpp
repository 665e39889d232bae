#include "driver/kafka/broker_release.hpp"

#include <algorithm>
#include <charconv>
#include <span>

namespace brokerload::driver::kafka {
namespace {

// An API whose highest version tells releases apart.
struct Marker {
  std::int16_t key;
  const char* name;
  std::int16_t max;
};

struct Release {
  const char* name;
  std::span<const Marker> markers;  // all of them served at or above `max`
};

// Highest versions a KRaft broker serves. 3.9: read from apache/kafka's 3.9.0 request JSONs;
// 4.0-4.2: franz-go's pkg/kversion table, which names the KIP and commit of each change. Only
// client APIs that no broker setting hides.
constexpr Marker k42[] = {{2, "ListOffsets", 11}, {8, "OffsetCommit", 10}, {9, "OffsetFetch", 10}};
constexpr Marker k41[] = {{0, "Produce", 13}, {1, "Fetch", 18}};
constexpr Marker k40[] = {{0, "Produce", 12}, {3, "Metadata", 13}};
constexpr Marker k39[] = {{0, "Produce", 11}, {1, "Fetch", 17}, {2, "ListOffsets", 9}};
constexpr Release kReleases[] = {{"4.2", k42}, {"4.1", k41}, {"4.0", k40}, {"3.9", k39}};

// 4.2's highest versions of the APIs that changed from 3.9 to 4.2 or (as far as brokerload has
// heard) after it: one served above these is from a release newer than 4.2.
constexpr Marker kNewestKnown[] = {
    {0, "Produce", 13},         {1, "Fetch", 18},           {2, "ListOffsets", 11},
    {3, "Metadata", 13},        {8, "OffsetCommit", 10},    {9, "OffsetFetch", 10},
    {15, "DescribeGroups", 6},  {26, "EndTxn", 5},          {27, "WriteTxnMarkers", 2},
    {28, "TxnOffsetCommit", 5}, {35, "DescribeLogDirs", 4}, {42, "DeleteGroups", 2}};

constexpr std::string_view kNoPatch = "the patch level is not on the wire";

std::int16_t Max(const BrokerApis& broker, std::int16_t key) {
  return broker.apis[static_cast<std::size_t>(key)].max;
}

std::string Served(const BrokerApis& broker, const Marker& marker) {
  const std::int16_t max = Max(broker, marker.key);
  return max < 0 ? std::string("no ") + marker.name
                 : std::string(marker.name) + " v" + std::to_string(max);
}

std::string Join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const std::string& part : parts) out += (out.empty() ? "" : std::string(separator)) + part;
  return out;
}

// "Produce v13, Fetch v18": what the broker serves of `markers`.
std::string ServedOf(const BrokerApis& broker, std::span<const Marker> markers) {
  std::vector<std::string> served;
  for (const Marker& m : markers) served.push_back(Served(broker, m));
  return Join(served, ", ");
}

// What one broker's answer points to.
struct Verdict {
  std::string release;  // "4.1", "at least 4.2", or "older than 3.9"
  std::string evidence;
  bool named = false;
};

Verdict Judge(const BrokerApis& broker) {
  for (const Release& release : kReleases) {
    const bool met = std::all_of(release.markers.begin(), release.markers.end(),
                                 [&](const Marker& m) { return Max(broker, m.key) >= m.max; });
    if (!met) continue;
    Verdict verdict{release.name, ServedOf(broker, release.markers), true};
    if (&release == &kReleases[0]) {
      // Newer releases may serve the same versions: the table cannot tell them from this one.
      verdict.release = std::string("at least ") + release.name;
      std::vector<std::string> newer;
      for (const Marker& m : kNewestKnown) {
        if (Max(broker, m.key) > m.max) newer.push_back(Served(broker, m));
      }
      if (!newer.empty()) {
        verdict.evidence +=
            std::string("; newer than ") + release.name + "'s: " + Join(newer, ", ");
      }
    }
    return verdict;
  }
  const Release& oldest = kReleases[std::size(kReleases) - 1];
  return {std::string("older than ") + oldest.name, ServedOf(broker, oldest.markers), false};
}

// librdkafka names a connection "<address>/<id>", "<address>/bootstrap" until it learns the id
// (what it logged until then keeps that name), or "TxnCoordinator/<id>" for a logical broker,
// which uses some broker's connection.
std::string_view Address(std::string_view name) { return name.substr(0, name.rfind('/')); }
bool IsLogical(std::string_view name) { return Address(name).find(':') == std::string_view::npos; }

// The answers that count: not a logical broker's, nor a bootstrap address's when the same address
// answered under its id too (the same broker), unless nothing else is left.
std::vector<const BrokerApis*> Counted(const std::vector<BrokerApis>& brokers) {
  std::vector<const BrokerApis*> counted;
  for (const BrokerApis& broker : brokers) {
    const std::string_view address = Address(broker.broker);
    const bool repeated =
        IsLogical(broker.broker) ||
        (broker.broker.ends_with("/bootstrap") &&
         std::any_of(brokers.begin(), brokers.end(), [&](const BrokerApis& other) {
           return &other != &broker && Address(other.broker) == address;
         }));
    if (!repeated) counted.push_back(&broker);
  }
  if (counted.empty()) {
    for (const BrokerApis& broker : brokers) counted.push_back(&broker);
  }
  return counted;
}

bool ParseInt16(std::string_view text, std::int16_t& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

// "ApiKey Produce (0) Versions 0..11": the key in parentheses (librdkafka 2.0.2 has no name for
// the newer keys), then the range.
bool ParseApiKey(std::string_view text, std::int16_t& key, ApiRange& range) {
  constexpr std::string_view kVersions = ") Versions ";
  const auto versions = text.find(kVersions);
  const auto open = versions == std::string_view::npos ? versions : text.rfind('(', versions);
  if (open == std::string_view::npos) return false;
  const std::string_view bounds = text.substr(versions + kVersions.size());
  const auto dots = bounds.find("..");
  return dots != std::string_view::npos &&
         ParseInt16(text.substr(open + 1, versions - open - 1), key) &&
         ParseInt16(bounds.substr(0, dots), range.min) &&
         ParseInt16(bounds.substr(dots + 2), range.max);
}

}  // namespace

std::string WithFeatureDebug(std::string_view user_debug) {
  std::string_view rest = user_debug;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    std::string_view context = rest.substr(0, comma);
    context.remove_prefix(std::min(context.find_first_not_of(' '), context.size()));
    context = context.substr(0, context.find_last_not_of(' ') + 1);
    if (context == "feature" || context == "all") return std::string(user_debug);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  return user_debug.empty() ? "feature" : std::string(user_debug) + ",feature";
}

ApiVersionsLog::Entry* ApiVersionsLog::Existing(std::string_view broker) {
  const auto it = std::find_if(entries_.begin(), entries_.end(),
                               [&](const Entry& e) { return e.answered.broker == broker; });
  return it == entries_.end() ? nullptr : &*it;
}

ApiVersionsLog::Entry& ApiVersionsLog::Find(std::string_view broker) {
  if (Entry* entry = Existing(broker)) return *entry;
  entries_.emplace_back();
  entries_.back().answered.broker = broker;
  return entries_.back();
}

void ApiVersionsLog::Record(std::string_view line) {
  // "[thrd:<thread>]: " unless log.thread.name is false, then "<broker>: <text>".
  if (line.starts_with("[thrd:")) {
    const auto end = line.find("]: ");
    if (end == std::string_view::npos) return;
    line.remove_prefix(end + 3);
  }
  const auto colon = line.find(": ");
  if (colon == std::string_view::npos) return;
  const std::string_view broker = line.substr(0, colon);
  std::string_view text = line.substr(colon + 2);
  text.remove_prefix(std::min(text.find_first_not_of(' '), text.size()));

  std::lock_guard lock(mutex_);
  if (text == "Broker API support:") {
    Entry& entry = Find(broker);
    entry.pending.fill(ApiRange{});
    entry.reading = true;
    return;
  }
  Entry* const it = Existing(broker);
  if (it == nullptr || !it->reading) return;
  std::int16_t key = -1;
  ApiRange range;
  if (text.starts_with("ApiKey ")) {
    if (ParseApiKey(text, key, range) && key >= 0 &&
        static_cast<std::size_t>(key) < kRecordedApiKeys) {
      it->pending[static_cast<std::size_t>(key)] = range;
    }
    return;
  }
  // librdkafka checks its features against the answer right after listing it; any other line
  // (an ApiVersions request retried with an older version) ends a listing that was not kept.
  if (text.starts_with("Feature ")) {
    it->answered.apis = it->pending;
    it->has_answer = true;
  }
  it->reading = false;
}

std::vector<BrokerApis> ApiVersionsLog::Brokers() const {
  std::lock_guard lock(mutex_);
  std::vector<BrokerApis> out;
  for (const Entry& entry : entries_) {
    if (entry.has_answer) out.push_back(entry.answered);
  }
  return out;
}

bool NamesRelease(const std::vector<BrokerApis>& brokers) {
  const std::vector<const BrokerApis*> counted = Counted(brokers);
  return std::any_of(counted.begin(), counted.end(),
                     [](const BrokerApis* b) { return Judge(*b).named; });
}

std::string DescribeBrokerVersion(const VersionEvidence& evidence) {
  const std::vector<const BrokerApis*> counted = Counted(evidence.brokers);
  // Brokers grouped by what their answers point to, in the order first seen.
  struct Group {
    Verdict verdict;
    std::vector<std::string> brokers;
  };
  std::vector<Group> groups;
  for (const BrokerApis* broker : counted) {
    Verdict verdict = Judge(*broker);
    const auto same = std::find_if(groups.begin(), groups.end(), [&](const Group& g) {
      return g.verdict.release == verdict.release && g.verdict.evidence == verdict.evidence;
    });
    if (same != groups.end()) {
      same->brokers.push_back(broker->broker);
    } else {
      groups.push_back({std::move(verdict), {broker->broker}});
    }
  }
  if (groups.size() > 1) {
    std::vector<std::string> parts;
    for (const Group& g : groups) {
      parts.push_back(g.verdict.release + " on " + Join(g.brokers, ", ") + " (" +
                      g.verdict.evidence + ")");
    }
    return "brokers differ: " + Join(parts, "; ") +
           "; inferred from the API versions they serve; " + std::string(kNoPatch);
  }
  // Not a count of brokers: a bootstrap alias and the broker's advertised address are two.
  const std::string subject = counted.size() == 1 ? "it serves" : "its brokers serve";
  if (groups.size() == 1 && groups[0].verdict.named) {
    return groups[0].verdict.release + " (inferred from the API versions " + subject + ": " +
           groups[0].verdict.evidence + "; " + std::string(kNoPatch) + ")";
  }
  // No release from the answers: inter.broker.protocol.version, which 3.x brokers have.
  const std::string answers =
      groups.empty() ? "no ApiVersions answer was recorded: " + evidence.no_answer_reason
                     : "the API versions " + subject + " are " + groups[0].verdict.release +
                           "'s: " + groups[0].verdict.evidence;
  if (!evidence.protocol_version.empty()) {
    return "inter.broker.protocol.version " + evidence.protocol_version +
           " (read by DescribeConfigs; " + answers + ")";
  }
  return "unknown (" + answers + "; inter.broker.protocol.version: " +
         (evidence.protocol_version_gap.empty() ? "not read" : evidence.protocol_version_gap) + ")";
}

}  // namespace brokerload::driver::kafka
