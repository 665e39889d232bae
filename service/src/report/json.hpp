#pragma once

#include <string>

#include "report/results.hpp"

// report.json: the schema in docs/report-schema.md, "schema": "brokerload.compare", version 1.
namespace brokerload::report {

std::string ToJson(const Comparison& comparison);

// Parses a report.json; false with `error` when it is not one (wrong schema or version, bad JSON).
bool FromJson(const std::string& text, Comparison& comparison, std::string& error);

}  // namespace brokerload::report
