#pragma once

#include <string>

#include <pqxx/pqxx>

namespace cc::capture {

struct CaptureResult {
  long long changes = 0;  // change_log rows consumed
  long long queued = 0;   // import_status rows created or re-queued
};

// Moves one source's committed changes from change_log into import_status and advances its
// watermark, all in one REPEATABLE READ transaction, so the watermark never covers a change that
// is not durably queued.
//
// The batch is every change whose transaction id is visible in the current snapshot and not in
// the watermark snapshot. A transaction that was still open when the watermark was taken is in the
// watermark's in-progress list, so its changes join a later batch whenever it commits, and an open
// transaction never holds back changes that other transactions committed.
//
// Queueing rules for a key that already has an import_status row:
// * pending, retrying and sending rows stay as they are, because the row is read again when sent;
// * held, failed and skipped rows go back to pending, because the shop's edit may have fixed them;
// * imported rows stay imported, because sending again would create a duplicate in Contractors
//   Cloud, unless `resend_imported` is set (the mapping's source.resend_updates opts in).
//
// Throws cc::RuntimeFailure when the source has no watermark (capture not installed).
CaptureResult capture_batch(pqxx::connection& connection, const std::string& schema, const std::string& source,
                            bool resend_imported = false);

// Whether change_log holds a committed change of the source: one cheap read, without the
// transaction, row lock and commit of capture_batch. When it returns false, capture_batch would
// move nothing and only advance the watermark.
bool has_changes(pqxx::connection& connection, const std::string& schema, const std::string& source);

}  // namespace cc::capture
