#include "common/secret.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

using cc::redact_connection_string;
using cc::redact_secret;

struct RedactCase {
  std::string input;
  std::string expected;
};

void check_redacted(const std::vector<RedactCase>& cases) {
  for (const RedactCase& test_case : cases) {
    CAPTURE(test_case.input);
    CHECK(redact_connection_string(test_case.input) == test_case.expected);
  }
}

}  // namespace

TEST_CASE("redact_connection_string hides URI password") {
  check_redacted({
      {"postgresql://shop:s3cret@db.example.com/shop", "postgresql://shop:***@db.example.com/shop"},
      {"postgres://shop:s3cret@db.example.com:5432/shop?sslmode=require",
       "postgres://shop:***@db.example.com:5432/shop?sslmode=require"},
      {"postgresql://shop:p%40ss%2Fword@db/shop", "postgresql://shop:***@db/shop"},
      {"postgresql://:s3cret@db/shop", "postgresql://:***@db/shop"},
      {"postgresql://shop:@db/shop", "postgresql://shop:***@db/shop"},
  });
}

TEST_CASE("redact_connection_string hides query password") {
  check_redacted({
      {"postgresql://db/shop?password=s3cret", "postgresql://db/shop?password=***"},
      {"postgresql://db/shop?user=shop&password=s3cret&sslmode=require",
       "postgresql://db/shop?user=shop&password=***&sslmode=require"},
      {"postgresql://shop:s3cret@db/shop?password=other", "postgresql://shop:***@db/shop?password=***"},
  });
}

TEST_CASE("redact_connection_string hides keyword password") {
  check_redacted({
      {"host=db password=s3cret user=shop", "host=db password=*** user=shop"},
      {"password=s3cret host=db", "password=*** host=db"},
      {"host=db password = s3cret dbname=shop", "host=db password=*** dbname=shop"},
      {"host=db password='two words' dbname=shop", "host=db password=*** dbname=shop"},
      {R"(host=db password='it\'s secret' dbname=shop)", "host=db password=*** dbname=shop"},
      {"host=db\tpassword=s3cret", "host=db\tpassword=***"},
  });
}

TEST_CASE("redact_connection_string keeps text without password") {
  check_redacted({
      {"postgresql://shop@db.example.com/shop", "postgresql://shop@db.example.com/shop"},
      {"postgresql://db/shop?sslmode=require", "postgresql://db/shop?sslmode=require"},
      {"host=db user=shop dbname=shop", "host=db user=shop dbname=shop"},
      {"host=db passfile=/home/shop/.pgpass", "host=db passfile=/home/shop/.pgpass"},
      {"", ""},
  });
}

TEST_CASE("redact_connection_string never returns the password") {
  const std::vector<std::string> inputs = {
      "postgresql://shop:hunter2@db/shop",
      "postgresql://db/shop?password=hunter2",
      "host=db password=hunter2",
      "host=db password='hunter2'",
  };
  for (const std::string& input : inputs) {
    CAPTURE(input);
    CHECK(redact_connection_string(input).find("hunter2") == std::string::npos);
  }
}

TEST_CASE("redact_connection_string with surrounding whitespace") {
  CHECK(redact_connection_string("postgresql://shop:hunter2@db/shop\n") == "postgresql://shop:***@db/shop\n");
  CHECK(redact_connection_string(" postgresql://shop:hunter2@db/shop").find("hunter2") == std::string::npos);
}

TEST_CASE("redact_secret replaces every occurrence") {
  CHECK(redact_secret("key abc123 rejected", "abc123") == "key *** rejected");
  CHECK(redact_secret("abc123abc123", "abc123") == "******");
  CHECK(redact_secret("abc123 then abc123.", "abc123") == "*** then ***.");
  CHECK(redact_secret("nothing here", "abc123") == "nothing here");
}

TEST_CASE("redact_secret with empty secret") {
  CHECK(redact_secret("text stays", "") == "text stays");
  CHECK(redact_secret("", "") == "");
}

TEST_CASE("redact_secret with overlapping text") {
  CHECK(redact_secret("aaaa", "aa") == "******");
  CHECK(redact_secret("aaa", "aa") == "***a");
  // The replacement itself contains the secret; it must not be replaced again.
  CHECK(redact_secret("a*b", "*") == "a***b");
}
