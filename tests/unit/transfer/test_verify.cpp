// SPDX-License-Identifier: MIT
#include "fake_remote.hpp"

#include "fios/hash/xxh64.hpp"
#include "fios/transfer/verify.hpp"

#include <catch2/catch.hpp>

#include <atomic>

using namespace fios;
using namespace fios::transfer;
using fios::test::FakeRemote;
using namespace std::chrono_literals;

TEST_CASE("check_upload compares the remote checksum with the local hash", "[transfer][verify]") {
    FakeRemote remote;
    const std::string content = "some bytes";
    const std::string id = remote.add_file("f", "a", content);
    VerifyRequest req{id, content.size(), hash::xxh64_hex(content)};

    auto r = check_upload(remote, req);
    REQUIRE(r);
    CHECK(r->state == VerifyState::verified);
    CHECK(is_verified(r->state));

    remote.set_checksum(id, "0123456789abcdef");
    CHECK(check_upload(remote, req)->state == VerifyState::mismatch);

    remote.set_checksum(id, std::nullopt);
    CHECK(check_upload(remote, req)->state == VerifyState::awaiting_checksum);
    remote.has_checksum = false; // a V4-like backend: completion and size are all there is
    CHECK(check_upload(remote, req)->state == VerifyState::verified_by_size);
    req.size = 3;
    CHECK(check_upload(remote, req)->state == VerifyState::mismatch);

    auto pending = remote.create_file("f", "b", 5, {});
    REQUIRE(pending);
    CHECK(check_upload(remote, {pending->asset_id, 5, "x"})->state == VerifyState::awaiting_upload);
    CHECK(check_upload(remote, {"nope", 5, "x"})->state == VerifyState::gone);
    remote.set_deleted(id);
    CHECK(check_upload(remote, {id, content.size(), "x"})->state == VerifyState::gone);
}

TEST_CASE("verify delays double up to the cap", "[transfer][verify]") {
    VerifyPolicy p;
    p.first_delay = 500ms;
    p.max_delay = 3000ms;
    CHECK(verify_delay(p, 0) == 500ms);
    CHECK(verify_delay(p, 1) == 1000ms);
    CHECK(verify_delay(p, 2) == 2000ms);
    CHECK(verify_delay(p, 3) == 3000ms);
    CHECK(verify_delay(p, 30) == 3000ms);
}

TEST_CASE("wait_for_verification waits on the injected clock until the checksum appears",
          "[transfer][verify]") {
    FakeRemote remote;
    const std::string content = "payload";
    const std::string id = remote.add_file("f", "a", content);
    remote.set_checksum(id, std::nullopt);
    FakeClock clock;
    net::FakeSleeper sleeper(clock);
    VerifyPolicy p;
    p.timeout = 10'000ms;
    p.first_delay = 1000ms;
    p.max_delay = 4000ms;
    const VerifyRequest req{id, content.size(), hash::xxh64_hex(content)};

    SECTION("appears after 3 s") {
        const auto start = clock.now();
        remote.on_item = [&](const std::string&) {
            if (clock.now() - start >= 3s)
                remote.set_checksum(id, hash::xxh64_hex(content));
        };
        auto r = wait_for_verification(remote, req, p, clock, sleeper);
        REQUIRE(r);
        CHECK(r->state == VerifyState::verified);
        CHECK(sleeper.sleeps() == std::vector<net::Millis>{1000ms, 2000ms});
    }
    SECTION("never appears: pending after the timeout") {
        auto r = wait_for_verification(remote, req, p, clock, sleeper);
        REQUIRE(r);
        CHECK(r->state == VerifyState::awaiting_checksum);
        CHECK(sleeper.total() == 10'000ms);
    }
    SECTION("cancelled while waiting") {
        CancelToken cancel;
        cancel.cancel();
        auto r = wait_for_verification(remote, req, p, clock, sleeper, &cancel);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == ErrorCode::cancelled);
    }
}
