#pragma once

#include <string>

#include "report/results.hpp"

// report.md and report.html. Their findings, winners and trends, the title and the note on an
// interrupted comparison come from report/analysis.hpp, so that both say the same.
namespace brokerload::report {

std::string ToMarkdown(const Comparison& comparison);

// One self-contained file: inline CSS and SVG charts, no script, no network.
std::string ToHtml(const Comparison& comparison);

}  // namespace brokerload::report
