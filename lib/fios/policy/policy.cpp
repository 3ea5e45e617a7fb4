// SPDX-License-Identifier: MIT
#include "fios/policy/policy.hpp"

namespace fios::policy {

namespace {
bool same_observation(const model::LocalEntry& entry, const model::LocalObservation& obs) {
    return obs.path == entry.path && obs.size == entry.size && obs.mtime == entry.mtime;
}
} // namespace

bool is_settled(const Policy& policy, const model::LocalEntry& entry,
                const model::LocalObservation* previous, model::TimePoint now) {
    if (entry.mtime <= now - policy.settle)
        return true;
    return previous != nullptr && same_observation(entry, *previous) &&
           previous->first_seen <= now - policy.settle;
}

model::LocalObservation observe(const model::LocalEntry& entry,
                                const model::LocalObservation* previous, model::TimePoint now) {
    if (previous != nullptr && same_observation(entry, *previous))
        return *previous;
    return model::LocalObservation{entry.path, entry.size, entry.mtime, now};
}

model::TimePoint next_retry_at(const Policy& policy, std::uint32_t failures, model::TimePoint now) {
    if (policy.backoff.empty())
        return now;
    const std::size_t index = failures == 0 ? 0 : failures - 1;
    const auto wait = index < policy.backoff.size() ? policy.backoff[index] : policy.backoff.back();
    return now + wait;
}

std::string_view verified_by(const model::JournalRecord& record) noexcept {
    if (record.kind != model::EntryKind::file || record.state != model::JournalState::synced)
        return "";
    if (record.verified) // a read-back upload keeps its direction (see policy.hpp)
        return record.direction == model::TransferDirection::up ? k_verified_by_readback
                                                                : "checksum";
    switch (record.direction) {
    case model::TransferDirection::up:
        return "content-md5+size";
    case model::TransferDirection::down:
        return "size";
    case model::TransferDirection::none:
        break;
    }
    return "";
}

bool in_backoff(const model::JournalRecord& record, model::TimePoint now) noexcept {
    return record.state == model::JournalState::failed && record.next_retry_at.has_value() &&
           now < *record.next_retry_at;
}

} // namespace fios::policy
