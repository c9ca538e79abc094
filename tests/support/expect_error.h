#pragma once
// Checks that code throws a given cajal::Error subclass whose message contains given text.
#include <gtest/gtest.h>

#include <exception>
#include <functional>
#include <string>
#include <vector>

namespace cajal::testing {

// Expects fn() to throw E with a message containing every string in `parts`.
template <typename E>
void expect_error(const std::function<void()>& fn, const std::vector<std::string>& parts) {
  try {
    fn();
    ADD_FAILURE() << "expected an exception with message containing \"" << parts.front() << "\"";
  } catch (const E& e) {
    std::string message = e.what();
    for (const std::string& part : parts) {
      EXPECT_NE(message.find(part), std::string::npos)
          << "message \"" << message << "\" lacks \"" << part << "\"";
    }
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
}

// One expected piece of text. (const char*, not std::string: a brace list of two strings would
// otherwise also match std::string's iterator-pair constructor.)
template <typename E>
void expect_error(const std::function<void()>& fn, const char* text) {
  expect_error<E>(fn, std::vector<std::string>{text});
}

}  // namespace cajal::testing

// EXPECT_THROW_WITH(statement, ErrorType, "part", ...): the statement form of expect_error.
#define EXPECT_THROW_WITH(statement, type, ...) \
  ::cajal::testing::expect_error<type>([&] { statement; }, std::vector<std::string>{__VA_ARGS__})
