// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/cancel.hpp"
#include "fios/core/result.hpp"
#include "fios/remote/remote.hpp"

#include <cstdint>
#include <string>

/// `--verify readback` (docs/sync-policy.md, "Without a content checksum"): the only
/// end-to-end proof of an upload's content a backend without checksums (V4) allows.
namespace fios::engine {

/// Downloads `asset_id` again (a fresh media link: Remote::download fetches one per call)
/// into a hashing sink, writing no file, and returns the XXH64 (16 lowercase hex digits) of
/// the bytes Frame.io delivers. `size` is the size we sent: the download must deliver exactly
/// that many bytes, else the answer is the hash of what came (never equal to ours, so the
/// caller sees a mismatch). Errors: the Remote's; a download that cannot start (not ready,
/// not downloadable, size changed) is ErrorCode::conflict naming the state.
Result<std::string> read_back_xxh64(remote::Remote& remote, const std::string& asset_id,
                                    std::uint64_t size, const CancelToken* cancel);

} // namespace fios::engine
