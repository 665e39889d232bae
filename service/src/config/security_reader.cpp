#include "config/security_reader.hpp"

#include <array>

namespace brokerload::config {
namespace {

void ReadTls(YamlReader& r, const YAML::Node& node, const std::string& path, bool key_password,
             TlsSettings& tls) {
  if (key_password) {
    if (!r.CheckMap(node, path,
                    {"ca_file", "cert_file", "key_file", "key_password", "key_password_file",
                     "verify_hostname"})) {
      return;
    }
    r.SecretValue(node, path, "key_password", tls.key_password);
  } else if (!r.CheckMap(node, path, {"ca_file", "cert_file", "key_file", "verify_hostname"})) {
    return;
  }
  r.File(node, path, "ca_file", tls.ca_file);
  r.File(node, path, "cert_file", tls.cert_file);
  r.File(node, path, "key_file", tls.key_file);
  r.Bool(node, path, "verify_hostname", tls.verify_hostname);
  if (static_cast<bool>(node["cert_file"]) != static_cast<bool>(node["key_file"])) {
    const char* missing = node["cert_file"] ? "key_file" : "cert_file";
    r.ErrorGot(node, path + "." + missing, "cert_file and key_file together (mutual TLS)",
               "only one of them");
  }
}

// The librdkafka properties that targets.kafka.security sets.
bool OwnedBySecurity(const std::string& name) {
  for (const char* owned :
       {"security.protocol", "sasl.mechanisms", "sasl.mechanism", "sasl.username", "sasl.password",
        "ssl.ca.location", "ssl.certificate.location", "ssl.key.location", "ssl.key.password",
        "ssl.endpoint.identification.algorithm"}) {
    if (name == owned) return true;
  }
  return false;
}

}  // namespace

void ReadKafkaSecurity(YamlReader& r, const YAML::Node& node, const std::string& path,
                       KafkaSecurity& out) {
  if (!r.CheckMap(node, path, {"protocol", "tls", "sasl"})) return;
  r.Enum(node, path, "protocol", out.protocol,
         {{"plaintext", KafkaProtocol::kPlaintext},
          {"ssl", KafkaProtocol::kSsl},
          {"sasl_plaintext", KafkaProtocol::kSaslPlaintext},
          {"sasl_ssl", KafkaProtocol::kSaslSsl}});
  const bool tls = out.protocol == KafkaProtocol::kSsl || out.protocol == KafkaProtocol::kSaslSsl;
  const bool sasl =
      out.protocol == KafkaProtocol::kSaslPlaintext || out.protocol == KafkaProtocol::kSaslSsl;
  if (const YAML::Node tls_node = node["tls"]) {
    if (!tls) {
      r.ErrorGot(tls_node, path + ".tls", "protocol ssl or sasl_ssl for TLS settings",
                 "protocol " + (node["protocol"] ? node["protocol"].Scalar() : "plaintext"));
    }
    ReadTls(r, tls_node, path + ".tls", true, out.tls);
  }
  const YAML::Node sasl_node = node["sasl"];
  if (sasl_node && !sasl) {
    r.ErrorGot(sasl_node, path + ".sasl", "protocol sasl_plaintext or sasl_ssl for SASL settings",
               "protocol " + (node["protocol"] ? node["protocol"].Scalar() : "plaintext"));
  }
  if (sasl && !sasl_node) {
    r.ErrorGot(node, path + ".sasl", "a map with mechanism, username and password", "nothing");
  }
  if (!sasl_node) return;
  const std::string sasl_path = path + ".sasl";
  if (!r.CheckMap(sasl_node, sasl_path, {"mechanism", "username", "password", "password_file"})) {
    return;
  }
  r.Enum(sasl_node, sasl_path, "mechanism", out.mechanism,
         {{"PLAIN", SaslMechanism::kPlain},
          {"SCRAM-SHA-256", SaslMechanism::kScramSha256},
          {"SCRAM-SHA-512", SaslMechanism::kScramSha512}});
  r.String(sasl_node, sasl_path, "username", out.username);
  r.SecretValue(sasl_node, sasl_path, "password", out.password);
  if (!sasl_node["username"]) {
    r.ErrorGot(sasl_node, sasl_path + ".username", "a user name", "nothing");
  }
  if (!sasl_node["password"] && !sasl_node["password_file"]) {
    r.ErrorGot(sasl_node, sasl_path + ".password", "a password (or password_file)", "nothing");
  }
  if (sasl && out.protocol == KafkaProtocol::kSaslPlaintext &&
      out.mechanism == SaslMechanism::kPlain) {
    r.Warning(sasl_node, sasl_path + ".mechanism",
              "PLAIN over sasl_plaintext sends the password unencrypted; use sasl_ssl");
  }
}

void ReadNatsSecurity(YamlReader& r, const YAML::Node& nats, const std::string& path,
                      NatsTarget& out) {
  // A password in a URL would be printed with every connection error.
  for (const std::string& server : out.servers) {
    const auto scheme = server.find("://");
    const auto at = server.rfind('@');
    if (at != std::string::npos &&
        server.find(':', scheme == std::string::npos ? 0 : scheme + 3) < at) {
      r.ErrorGot(nats["servers"], path + ".servers",
                 "URLs without credentials (use user with password or password_file)",
                 "a URL with a password (not shown)");
      break;
    }
  }
  if (const YAML::Node tls = nats["tls"]) {
    out.tls.emplace();
    ReadTls(r, tls, path + ".tls", false, *out.tls);
  }
  r.String(nats, path, "user", out.user);
  r.SecretValue(nats, path, "password", out.password);
  r.SecretValue(nats, path, "token", out.token);
  r.File(nats, path, "nkey_seed_file", out.nkey_seed_file);
  r.File(nats, path, "credentials_file", out.credentials_file);
  const bool has_password = nats["password"] || nats["password_file"];
  if (static_cast<bool>(nats["user"]) != has_password) {
    r.ErrorGot(nats, path + (nats["user"] ? ".password" : ".user"), "user and password together",
               "only one of them");
  }
  const std::array<std::pair<const char*, bool>, 4> methods = {{
      {"user", nats["user"] || has_password},
      {"token", nats["token"] || nats["token_file"]},
      {"nkey_seed_file", static_cast<bool>(nats["nkey_seed_file"])},
      {"credentials_file", static_cast<bool>(nats["credentials_file"])},
  }};
  std::string chosen;
  for (const auto& [name, set] : methods) {
    if (set) chosen += (chosen.empty() ? "" : ", ") + std::string(name);
  }
  if (chosen.find(',') != std::string::npos) {
    r.ErrorGot(nats, path, "at most one of user+password, token, nkey_seed_file, credentials_file",
               chosen);
  }
}

void ReadMetricsSecurity(YamlReader& r, const YAML::Node& node, const std::string& path,
                         Metrics& out) {
  if (const YAML::Node tls = node["tls"];
      tls && r.CheckMap(tls, path + ".tls", {"cert_file", "key_file"})) {
    out.tls.emplace();
    r.File(tls, path + ".tls", "cert_file", out.tls->cert_file);
    r.File(tls, path + ".tls", "key_file", out.tls->key_file);
    for (const char* key : {"cert_file", "key_file"}) {
      if (!tls[key]) r.ErrorGot(tls, path + ".tls." + key, "a PEM file", "nothing");
    }
  }
  const YAML::Node auth = node["basic_auth"];
  const std::string auth_path = path + ".basic_auth";
  if (!auth || !r.CheckMap(auth, auth_path, {"username", "password", "password_file"})) return;
  out.basic_auth.emplace();
  r.String(auth, auth_path, "username", out.basic_auth->username);
  r.SecretValue(auth, auth_path, "password", out.basic_auth->password);
  if (!auth["username"]) r.ErrorGot(auth, auth_path + ".username", "a user name", "nothing");
  if (!auth["password"] && !auth["password_file"]) {
    r.ErrorGot(auth, auth_path + ".password", "a password (or password_file)", "nothing");
  }
  if (!out.tls) {
    r.Warning(auth, auth_path,
              "basic auth without metrics.tls sends the password unencrypted on every scrape");
  }
}

void ReadClientProperties(YamlReader& r, const YAML::Node& map, const std::string& path,
                          const char* key, ClientRole role, const PropertyCheck& check,
                          bool security_set, Properties& out) {
  const YAML::Node node = map[key];
  if (!node) return;
  const std::string prefix = path + "." + key;
  if (!node.IsMap()) {
    r.Error(node, prefix, "a map of client property names to values");
    return;
  }
  const char* other = role == ClientRole::kProducer ? "consumer" : "producer";
  for (const auto& entry : node) {
    const std::string name = entry.first.Scalar();
    const std::string at = prefix + "." + name;
    if (!entry.second.IsScalar()) {
      r.Error(entry.second, at, "a scalar value");
      continue;
    }
    if (security_set && OwnedBySecurity(name)) {
      r.ErrorGot(entry.first, at, "a property that targets.kafka.security does not set",
                 "one it sets (keep it in " + path + ".security only)");
      continue;
    }
    std::string value = entry.second.Scalar();
    const bool secret = IsSecretProperty(name);
    std::string env_name;
    if (const std::optional<std::string> env = EnvReference(value, env_name)) {
      if (env->empty()) {
        r.ErrorGot(entry.second, at, "environment variable '" + env_name + "' to be set",
                   "nothing (unset or empty)");
        continue;
      }
      value = *env;
    } else if (secret) {
      r.Warning(entry.second, at,
                "a literal secret in the config file; prefer ${env:NAME} or "
                "targets.kafka.security with password_file");
    }
    if (check) {
      const PropertyVerdict verdict = check(role, name, value);
      const std::string hint = verdict.hint.empty() ? "" : " (" + verdict.hint + ")";
      switch (verdict.problem) {
        case PropertyProblem::kNone:
          break;
        case PropertyProblem::kUnknown:
          r.ErrorGot(entry.first, at, "a librdkafka property", "an unknown name" + hint);
          continue;
        case PropertyProblem::kWrongRole:
          r.ErrorGot(entry.first, at, std::string("a ") + key + " property",
                     std::string("a property only the ") + other + " uses (move it to " + path +
                         "." + other + ")");
          continue;
        case PropertyProblem::kBadValue:
          r.ErrorGot(entry.second, at, "a value librdkafka accepts",
                     secret ? "a value it refuses (not shown: a secret)"
                            : "'" + entry.second.Scalar() + "'" + hint);
          continue;
      }
    }
    out.emplace_back(name, std::move(value));
  }
}

bool IsSecretProperty(std::string_view name) {
  for (const std::string_view part :
       {"password", "secret", "jaas", "oauthbearer.config", "key.pem", "token"}) {
    if (name.find(part) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace brokerload::config
