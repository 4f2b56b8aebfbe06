#pragma once

#include <string>
#include <string_view>

namespace cc {

// Returns a database connection string with any password replaced by "***", for logs and
// messages. Handles both URI form (postgresql://user:secret@host/db, ?password=secret) and
// keyword form (host=db password=secret).
std::string redact_connection_string(std::string_view connection_string);

// Returns a library's error text as one log line: the password redacted, line breaks turned into
// spaces and trailing whitespace removed, since libpq messages end in newlines.
std::string one_line_error(std::string_view text);

// Returns text with every occurrence of `secret` replaced by "***". Used on error text that a
// library built from inputs containing the secret.
std::string redact_secret(std::string text, std::string_view secret);

}  // namespace cc
