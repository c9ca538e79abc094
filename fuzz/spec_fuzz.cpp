// Fuzz target for model specs: the bytes are parsed as a spec document; a spec that parses is
// built for inputs of shape [1, 8, 8] (with a small parameter limit, so that no input can ask for
// much memory) together with its loss, optimizer and schedule. A small model built without error
// must also run on a zero batch: build_model's shape inference and the layers must agree, so an
// error there is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cajal/autograd/grad_mode.h"
#include "cajal/core/creation.h"
#include "cajal/core/error.h"
#include "cajal/train/spec.h"

namespace {

// Whether every number in the model section is at most `limit` and the layers, counted through
// residual blocks, are few: then a forward pass on [2, 1, 8, 8] stays small.
bool small_model(const cajal::train::Json& model, double limit, size_t max_layers) {
  std::vector<const cajal::train::Json*> pending{&model};
  size_t objects = 0;
  while (!pending.empty()) {
    const cajal::train::Json* node = pending.back();
    pending.pop_back();
    if (node->is_number() && node->get<double>() > limit) return false;
    if (node->is_string() && node->get_ref<const std::string&>() == "embedding") return false;
    if (node->is_object() && ++objects > max_layers) return false;
    if (node->is_structured()) {
      for (const auto& child : *node) pending.push_back(&child);
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  cajal::train::Spec spec;
  try {
    spec = cajal::train::parse_spec(text, "fuzz");
  } catch (const cajal::Error&) {
    return 0;
  }
  std::shared_ptr<cajal::nn::Sequential> model;
  try {
    model = cajal::train::build_model(spec, {1, 8, 8}, int64_t{1} << 20);
    cajal::train::build_loss(spec);
    auto optimizer = cajal::train::build_optimizer(spec, *model);
    cajal::train::build_scheduler(spec, *optimizer, 3);
  } catch (const cajal::Error&) {
    if (!model) return 0;
  }
  if (!small_model(spec.document["model"], 16, 24)) return 0;
  try {
    cajal::no_grad guard;
    model->eval();
    (*model)(cajal::zeros({2, 1, 8, 8}));
  } catch (const cajal::Error& error) {
    std::fprintf(stderr, "a model that built failed to run: %s\n", error.what());
    std::abort();
  }
  return 0;
}
