#include <algorithm>
#include <cmath>
#include <limits>

#include "report/analysis.hpp"
#include "report/writers.hpp"

namespace brokerload::report {
namespace {

constexpr const char* kColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                   "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};
constexpr int kWidth = 720;
constexpr int kHeight = 320;
constexpr int kLeft = 70;
constexpr int kRight = 20;
constexpr int kTop = 40;
constexpr int kBottom = 60;
constexpr int kPlotHeight = kHeight - kTop - kBottom;

std::string Escape(const std::string& text) {
  std::string out;
  for (char ch : text) {
    switch (ch) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

struct Series {
  std::string name;
  std::vector<double> values;
};

// A y axis: linear from 0, or logarithmic (latencies span decades) over whole decades.
struct Scale {
  bool log = false;
  double low = 0;
  double high = 1;

  // Where `value` sits, 0 at the bottom to 1 at the top (clamped).
  double Fraction(double value) const {
    if (!std::isfinite(value)) return 0;
    const double f = log ? (std::log10(std::max(value, low)) - std::log10(low)) /
                               (std::log10(high) - std::log10(low))
                         : value / high;
    return std::clamp(f, 0.0, 1.0);
  }
  double ValueAt(double fraction) const {
    return log ? low * std::pow(high / low, fraction) : high * fraction;
  }
};

// The frame of a chart: title, y grid with labels on `scale`, x labels.
std::string Frame(const std::string& id, const std::string& title, const std::string& unit,
                  const Scale& scale, const std::vector<std::string>& x_labels,
                  const std::vector<double>& x_positions) {
  std::string svg = "<svg class=\"chart\" id=\"" + id +
                    "\" xmlns=\"http://www.w3.org/2000/svg\" "
                    "width=\"" +
                    std::to_string(kWidth) + "\" height=\"" + std::to_string(kHeight) +
                    "\" role=\"img\"><title>" + Escape(title) + "</title><text x=\"" +
                    std::to_string(kWidth / 2) +
                    "\" y=\"20\" text-anchor=\"middle\" class=\"title\">" + Escape(title) +
                    "</text>";
  for (int i = 0; i <= 4; ++i) {
    const double value = scale.ValueAt(i / 4.0);
    const double y = kTop + kPlotHeight - kPlotHeight * i / 4.0;
    svg += "<line x1=\"" + std::to_string(kLeft) + "\" x2=\"" + std::to_string(kWidth - kRight) +
           "\" y1=\"" + FormatNumber(y, "%.1f") + "\" y2=\"" + FormatNumber(y, "%.1f") +
           "\" class=\"grid\"/>";
    svg += "<text x=\"" + std::to_string(kLeft - 6) + "\" y=\"" + FormatNumber(y + 4, "%.1f") +
           "\" text-anchor=\"end\">" +
           FormatNumber(value, value >= 100    ? "%.0f"
                               : value >= 0.01 ? "%.2f"
                                               : "%.3g") +
           "</text>";
  }
  svg += "<text x=\"14\" y=\"" + std::to_string(kTop + kPlotHeight / 2) +
         "\" transform=\"rotate(-90 14 " + std::to_string(kTop + kPlotHeight / 2) +
         ")\" text-anchor=\"middle\">" + Escape(unit + (scale.log ? ", log scale" : "")) +
         "</text>";
  for (std::size_t i = 0; i < x_labels.size(); ++i) {
    svg += "<text x=\"" + FormatNumber(x_positions[i], "%.1f") + "\" y=\"" +
           std::to_string(kHeight - kBottom + 18) + "\" text-anchor=\"middle\">" +
           Escape(x_labels[i]) + "</text>";
  }
  return svg;
}

std::string Legend(const std::vector<Series>& series) {
  std::string svg;
  for (std::size_t i = 0; i < series.size(); ++i) {
    const int x = kLeft + static_cast<int>(i % 4) * 160;
    const int y = kHeight - 22 + static_cast<int>(i / 4) * 14;
    svg += "<rect x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(y - 9) +
           "\" width=\"10\" height=\"10\" fill=\"" + kColors[i % 8] + "\"/><text x=\"" +
           std::to_string(x + 14) + "\" y=\"" + std::to_string(y) + "\">" + Escape(series[i].name) +
           "</text>";
  }
  return svg;
}

// Linear from 0 to 110 % of the largest value; or logarithmic over the decades the positive
// values span.
Scale ScaleOf(const std::vector<Series>& series, bool log) {
  double low = std::numeric_limits<double>::infinity();
  double high = 0;
  for (const Series& s : series) {
    for (double v : s.values) {
      if (!std::isfinite(v) || v <= 0) continue;
      low = std::min(low, v);
      high = std::max(high, v);
    }
  }
  if (!log) return {false, 0, high > 0 ? high * 1.1 : 1};
  if (high <= 0) return {true, 0.01, 1};
  const double bottom = std::pow(10, std::floor(std::log10(low)));
  const double top = std::pow(10, std::ceil(std::log10(high * 1.01)));
  return {true, bottom, std::max(top, bottom * 10)};
}

std::string BarChart(const std::string& id, const std::string& title, const std::string& unit,
                     const std::vector<std::string>& groups, const std::vector<Series>& series,
                     bool log = false) {
  const Scale scale = ScaleOf(series, log);
  const double group_width = static_cast<double>(kWidth - kLeft - kRight) /
                             static_cast<double>(std::max<std::size_t>(groups.size(), 1));
  const double bar_width =
      group_width * 0.8 / static_cast<double>(std::max<std::size_t>(series.size(), 1));
  std::vector<double> centers;
  for (std::size_t g = 0; g < groups.size(); ++g)
    centers.push_back(kLeft + group_width * (static_cast<double>(g) + 0.5));
  std::string svg = Frame(id, title, unit, scale, groups, centers);
  for (std::size_t s = 0; s < series.size(); ++s) {
    for (std::size_t g = 0; g < groups.size() && g < series[s].values.size(); ++g) {
      const double value = series[s].values[g];
      const double h = kPlotHeight * scale.Fraction(value);
      const double x = kLeft + group_width * static_cast<double>(g) + group_width * 0.1 +
                       bar_width * static_cast<double>(s);
      svg += "<rect class=\"bar\" x=\"" + FormatNumber(x, "%.1f") + "\" y=\"" +
             FormatNumber(kTop + kPlotHeight - h, "%.1f") + "\" width=\"" +
             FormatNumber(bar_width, "%.1f") + "\" height=\"" + FormatNumber(h, "%.1f") +
             "\" fill=\"" + kColors[s % 8] + "\"><title>" +
             Escape(series[s].name + " " + groups[g] + ": " + FormatNumber(value)) +
             "</title></rect>";
    }
  }
  return svg + Legend(series) + "</svg>\n";
}

std::string LineChart(const std::string& id, const std::string& title, const std::string& unit,
                      const std::vector<std::string>& x_labels, const std::vector<Series>& series,
                      bool log = false) {
  const Scale scale = ScaleOf(series, log);
  const double step = static_cast<double>(kWidth - kLeft - kRight) /
                      static_cast<double>(std::max<std::size_t>(x_labels.size(), 2) - 1);
  std::vector<double> xs;
  for (std::size_t i = 0; i < x_labels.size(); ++i)
    xs.push_back(kLeft + step * static_cast<double>(i));
  std::string svg = Frame(id, title, unit, scale, x_labels, xs);
  for (std::size_t s = 0; s < series.size(); ++s) {
    std::string points;
    for (std::size_t i = 0; i < series[s].values.size() && i < xs.size(); ++i) {
      const double y = kTop + kPlotHeight - kPlotHeight * scale.Fraction(series[s].values[i]);
      points += FormatNumber(xs[i], "%.1f") + "," + FormatNumber(y, "%.1f") + " ";
    }
    svg += "<polyline class=\"line\" fill=\"none\" stroke=\"" + std::string(kColors[s % 8]) +
           "\" stroke-width=\"2\" points=\"" + points + "\"/>";
  }
  return svg + Legend(series) + "</svg>\n";
}

// What a quantile without the samples to support it is drawn as: nothing.
constexpr double kUnsupported = std::numeric_limits<double>::quiet_NaN();

std::string Head(const Comparison& c) {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>brokerload "
         "comparison: " +
         Escape(Title(c)) +
         "</title><style>"
         "body{font-family:sans-serif;margin:2em;max-width:60em}"
         "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;"
         "text-align:right}th:first-child,td:first-child{text-align:left}"
         "svg text{font-size:12px}.title{font-size:14px;font-weight:bold}"
         ".grid{stroke:#ddd}.warn{color:#b00}</style></head><body>\n";
}

std::string Introduction(const Comparison& c) {
  std::string html =
      "<h1>brokerload comparison: " + Escape(Title(c)) + "</h1>\n<p>Generated " +
      Escape(c.generated_at) + " by brokerload " + Escape(c.brokerload_version) + "; " +
      std::to_string(c.topics) + " topics, " + Escape(SizesText(c)) + Escape(KeysText(c)) +
      "; targets run " + Escape(c.mode) + "; after readiness, a " +
      FormatNumber(c.warmup_seconds, "%g") + " s warm-up excluded from every figure." +
      Escape(BurstNote(c)) +
      " Latency charts use a log scale. Full tables (versions, settings, durability): report.md; "
      "data: report.json.</p>\n";
  if (!c.interrupted.empty()) {
    html += "<p class=\"warn\"><b>Interrupted " + Escape(c.interrupted) +
            "</b>: " + Escape(kInterruptedNote) + "</p>\n";
  }
  for (const TargetInfo& i : c.target_info) {
    if (!i.leads_warning.empty()) html += "<p class=\"warn\">" + Escape(i.leads_warning) + "</p>\n";
  }
  return html;
}

// A row per target and stage that has a result.
std::string Overview(const Comparison& c) {
  std::string html =
      "<h2>Overview</h2>\n<table><tr><th>stage</th><th>target</th><th>offered msg/s</th>"
      "<th>achieved msg/s</th><th>e2e mean ms</th><th>e2e p99 ms</th><th>e2e p99.9 ms</th>"
      "<th>e2e p99 from the send ms</th>"
      "<th>publish p99 ms</th><th>success</th><th>behind schedule</th></tr>\n";
  for (const std::string& stage : c.stages) {
    for (const std::string& t : c.targets) {
      const StageResult* r = c.Find(t, stage);
      if (!r) continue;
      html += "<tr><td>" + Escape(stage) + "</td><td>" + Escape(t) + "</td><td>" +
              FormatNumber(r->offered_rate, "%.0f") + "</td><td>" +
              Escape(RateText(r->achieved_rate, r->rate_estimable)) + "</td><td>" +
              FormatNumber(r->end_to_end_ms.mean) + "</td><td>" +
              Escape(Quantile(r->end_to_end_ms, 0.99, r->end_to_end_ms.p99)) + "</td><td>" +
              Escape(Quantile(r->end_to_end_ms, 0.999, r->end_to_end_ms.p999)) + "</td><td>" +
              Escape(Quantile(r->end_to_end_from_send_ms, 0.99, r->end_to_end_from_send_ms.p99)) +
              "</td><td>" + Escape(Quantile(r->publish_ms, 0.99, r->publish_ms.p99)) + "</td><td>" +
              FormatNumber(r->SuccessRate(), "%.1f") + "%</td><td" +
              (r->behind_schedule ? " class=\"warn\">yes: " + Escape(r->behind_reason) : ">no") +
              "</td></tr>\n";
    }
  }
  return html + "</table>\n";
}

// A bar a target and stage; 0 where there is no rate.
std::string ThroughputChart(const Comparison& c) {
  std::vector<Series> throughput;
  for (const std::string& t : c.targets) {
    Series rate{t, {}};
    for (const std::string& stage : c.stages) {
      const StageResult* r = c.Find(t, stage);
      rate.values.push_back(r && r->rate_estimable ? r->achieved_rate : 0);
    }
    throughput.push_back(rate);
  }
  return BarChart("throughput", "Achieved throughput per stage", "msg/s", c.stages, throughput);
}

// Two bars a target and stage, its p99 and its p99.9 side by side.
std::string TailLatencyChart(const Comparison& c) {
  std::vector<Series> tails;
  for (const std::string& t : c.targets) {
    Series p99{t + " p99", {}}, p999{t + " p99.9", {}};
    for (const std::string& stage : c.stages) {
      const StageResult* r = c.Find(t, stage);
      const LatencySummary* e2e = r ? &r->end_to_end_ms : nullptr;
      p99.values.push_back(e2e && e2e->Supports(0.99) ? e2e->p99 : kUnsupported);
      p999.values.push_back(e2e && e2e->Supports(0.999) ? e2e->p999 : kUnsupported);
    }
    tails.push_back(p99);
    tails.push_back(p999);
  }
  return BarChart("tail-latency", "End-to-end p99 and p99.9 latency per stage", "ms", c.stages,
                  tails, true);
}

// A line a result through its end-to-end percentiles; the x labels are the last result's.
std::string PercentileChart(const Comparison& c) {
  std::vector<std::string> quantile_labels;
  std::vector<Series> curves;
  for (const StageResult& r : c.results) {
    Series curve{r.target + " " + r.stage, {}};
    quantile_labels.clear();
    for (const auto& [q, ms] : r.end_to_end_curve) {
      curve.values.push_back(ms);
      quantile_labels.push_back(q >= 1 ? "max" : "p" + FormatNumber(q * 100, "%g"));
    }
    curves.push_back(curve);
  }
  return LineChart("percentiles", "End-to-end latency percentiles", "ms", quantile_labels, curves,
                   true);
}

std::string WinnerTable(const Comparison& c) {
  const std::vector<Winner> winners = Winners(c);
  if (winners.empty()) return "";
  std::string html =
      "<h2>Winner per metric</h2>\n<table><tr><th>metric</th><th>better</th>"
      "<th>figures (all stages pooled)</th></tr>\n";
  for (const Winner& w : winners) {
    html += "<tr><td>" + Escape(w.metric) + "</td><td>" + Escape(w.target) + "</td><td>" +
            Escape(w.detail) + "</td></tr>\n";
  }
  return html + "</table>\n";
}

std::string BulletList(const char* heading, const std::vector<std::string>& lines) {
  std::string html = std::string("<h2>") + heading + "</h2>\n<ul>\n";
  for (const std::string& line : lines) html += "<li>" + Escape(line) + "</li>\n";
  return html + "</ul>\n";
}

}  // namespace

std::string ToHtml(const Comparison& c) {
  return Head(c) + Introduction(c) + Overview(c) + "<h2>Charts</h2>\n" + ThroughputChart(c) +
         TailLatencyChart(c) + PercentileChart(c) + WinnerTable(c) +
         BulletList("Trends across stages", Trends(c)) + BulletList("Findings", Findings(c)) +
         (c.repetitions > 1 ? BulletList("Repetitions", RepetitionLines(c)) : "") +
         (c.baseline.empty() ? "" : BulletList("Against the baseline", VerdictLines(c))) +
         "</body></html>\n";
}

}  // namespace brokerload::report
