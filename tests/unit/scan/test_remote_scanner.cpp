// SPDX-License-Identifier: MIT
// scan::RemoteScanner over a fake remote::Remote: an in-memory folder tree whose listings the
// tests can make fail, block (to prove concurrency) or count.
#include "fios/scan/remote_scanner.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

using fios::Error;
using fios::ErrorCode;
using fios::Result;
using fios::Status;
using fios::model::EntryKind;
using fios::model::NameIssue;
using fios::model::RelPath;
using fios::model::RemoteEntry;
using fios::model::RemoteSnapshot;
using fios::remote::Item;
using fios::remote::ItemKind;
using fios::scan::RemoteScanner;
using fios::scan::RemoteScanOptions;

namespace {

using namespace std::chrono_literals;

RelPath P(const char* s) {
    return *RelPath::parse(s);
}

fios::model::TimePoint T(long seconds) {
    return fios::model::TimePoint{std::chrono::seconds{seconds}};
}

Item file(std::string id, std::string name, std::uint64_t size, bool complete = true,
          std::optional<std::string> checksum = std::nullopt) {
    Item i;
    i.id = std::move(id);
    i.kind = ItemKind::file;
    i.name = std::move(name);
    i.filesize = size;
    i.upload_completed = complete;
    i.checksum = std::move(checksum);
    i.created_at = T(100);
    i.updated_at = T(200);
    return i;
}

Item folder(std::string id, std::string name, std::optional<std::uint64_t> item_count = {}) {
    Item i;
    i.id = std::move(id);
    i.kind = ItemKind::folder;
    i.name = std::move(name);
    i.upload_completed = true;
    i.item_count = item_count;
    i.created_at = T(50);
    i.updated_at = T(60);
    return i;
}

Item stack(std::string id, std::string name, std::string head, std::uint64_t size,
           std::optional<std::string> checksum) {
    Item i = file(std::move(id), std::move(name), size, true, std::move(checksum));
    i.kind = ItemKind::version_stack;
    i.head_asset_id = std::move(head);
    return i;
}

/// An in-memory remote tree: folder id -> items. Only list_folder is used by the scanner;
/// every other call fails loudly.
class FakeRemote final : public fios::remote::Remote {
public:
    std::map<std::string, std::vector<Item>> folders;
    std::map<std::string, Error> failures; ///< folder id -> the error its listing returns
    /// Listings of these folders wait until `rendezvous` listings are in flight at once (or
    /// the deadline passes, which the test then sees as max_in_flight < rendezvous).
    std::set<std::string> gated;
    std::size_t rendezvous = 0;

    [[nodiscard]] fios::remote::Capabilities capabilities() const override { return {}; }

    Result<std::vector<Item>> list_folder(const std::string& folder_id,
                                          bool include_deleted) override {
        std::unique_lock lock(m_mutex);
        calls.push_back(folder_id);
        if (include_deleted)
            asked_for_deleted = true;
        ++m_in_flight;
        max_in_flight = std::max(max_in_flight, m_in_flight);
        m_cv.notify_all();
        if (gated.count(folder_id)) {
            m_cv.wait_for(lock, 10s, [&] { return m_in_flight >= rendezvous || m_released; });
            m_released = true; // once met, everybody goes
            m_cv.notify_all();
        }
        --m_in_flight;
        if (auto f = failures.find(folder_id); f != failures.end())
            return f->second;
        auto it = folders.find(folder_id);
        if (it == folders.end())
            return Error{ErrorCode::not_found, "no such folder " + folder_id, 404};
        std::vector<Item> items = it->second;
        for (auto& i : items)
            i.parent_id = folder_id;
        return items;
    }

    /// Tags are "<folder id>@<revision>"; a folder's revision goes up when a test changes it.
    /// Folders in `untagged` get none.
    Result<fios::remote::FolderListing> list_folder_since(const std::string& folder_id,
                                                          std::string_view since) override {
        std::string tag;
        {
            std::lock_guard lock(m_mutex);
            asked_since[folder_id] = std::string(since);
            if (!untagged.count(folder_id))
                tag = folder_id + "@" + std::to_string(revision[folder_id]);
        }
        if (!tag.empty() && since == tag) {
            std::lock_guard lock(m_mutex);
            calls.push_back(folder_id);
            return fios::remote::FolderListing{true, {}, tag};
        }
        auto items = list_folder(folder_id, false);
        if (!items)
            return items.error();
        return fios::remote::FolderListing{false, std::move(*items), tag};
    }
    std::map<std::string, int> revision;
    std::set<std::string> untagged;
    std::map<std::string, std::string> asked_since;

    Result<Item> item(const std::string&) override { return unused(); }
    Result<std::vector<Item>> find_by_name(const std::string&, std::string_view) override {
        return unused();
    }
    Result<Item> create_folder(const std::string&, const std::string&) override { return unused(); }
    Result<fios::remote::UploadSession>
    create_file(const std::string&, const std::string&, std::uint64_t,
                const fios::remote::CreateFileOptions&) override {
        return unused();
    }
    Status upload_part(const fios::remote::UploadSession&, std::size_t, fios::net::BodySource&,
                       const fios::CancelToken*) override {
        return unused();
    }
    Result<fios::remote::DownloadResponse> download(const fios::remote::DownloadRequest&,
                                                    fios::net::BodySink&,
                                                    const fios::CancelToken*) override {
        return unused();
    }
    Status delete_asset(const std::string&) override { return unused(); }

    [[nodiscard]] std::size_t times_listed(const std::string& id) const {
        std::lock_guard lock(m_mutex);
        return static_cast<std::size_t>(std::count(calls.begin(), calls.end(), id));
    }

    std::vector<std::string> calls;
    std::size_t max_in_flight = 0;
    bool asked_for_deleted = false;

private:
    static Error unused() { return Error{ErrorCode::internal, "the scanner must only list"}; }

    mutable std::mutex m_mutex;
    std::condition_variable m_cv;
    std::size_t m_in_flight = 0;
    bool m_released = false;
};

RemoteSnapshot scan_ok(FakeRemote& remote, RemoteScanOptions options = {},
                       const std::string& root = "root") {
    auto r = RemoteScanner(remote, options).scan(root);
    if (!r)
        FAIL("scan failed: " << r.error().message);
    return std::move(r).value();
}

std::vector<std::string> paths_of(const RemoteSnapshot& s) {
    std::vector<std::string> out;
    for (const auto& e : s.entries)
        out.push_back(e.path.str());
    return out;
}

const RemoteEntry& entry_by_id(const RemoteSnapshot& s, const std::string& asset_id) {
    for (const auto& e : s.entries) {
        if (e.asset_id == asset_id)
            return e;
    }
    FAIL("no entry with asset id " << asset_id);
    throw std::logic_error("unreachable");
}

} // namespace

TEST_CASE("remote scanner maps a nested tree to paths - folders and files", "[scan][remote]") {
    FakeRemote remote;
    remote.folders["root"] = {folder("f-a", "A"),
                              file("x-top", "top.mov", 10, true, "00000000000000aa"),
                              file("x-zero", "zero.bin", 0, true, "ef46db3751d8e999")};
    remote.folders["f-a"] = {folder("f-b", "B"), file("x-a1", "a1.wav", 7, false)};
    remote.folders["f-b"] = {folder("f-empty", "Empty", 0), file("x-deep", "deep.txt", 3)};

    for (std::size_t threads : {std::size_t{1}, std::size_t{4}}) {
        RemoteScanOptions options;
        options.threads = threads;
        const RemoteSnapshot snap = scan_ok(remote, options);
        CAPTURE(threads);
        CHECK(snap.root_folder_id == "root");
        CHECK(snap.rejected.empty());
        // Sorted by path, a parent right before its subtree.
        CHECK(paths_of(snap) == std::vector<std::string>{"A", "A/B", "A/B/Empty", "A/B/deep.txt",
                                                         "A/a1.wav", "top.mov", "zero.bin"});

        const RemoteEntry& a = entry_by_id(snap, "f-a");
        CHECK(a.kind == EntryKind::folder);
        CHECK(a.parent_id == "root");
        CHECK(a.upload_completed);
        CHECK(a.filesize == 0);
        CHECK_FALSE(a.checksum);
        CHECK_FALSE(a.version_stack);

        const RemoteEntry& deep = entry_by_id(snap, "x-deep");
        CHECK(deep.path == P("A/B/deep.txt"));
        CHECK(deep.parent_id == "f-b");
        CHECK(deep.kind == EntryKind::file);
        CHECK(deep.filesize == 3);

        const RemoteEntry& a1 = entry_by_id(snap, "x-a1");
        CHECK_FALSE(a1.upload_completed);
        CHECK_FALSE(a1.checksum);

        const RemoteEntry& top = entry_by_id(snap, "x-top");
        CHECK(top.checksum == std::optional<std::string>("00000000000000aa"));
        CHECK(top.created_at == T(100));
        CHECK(top.updated_at == T(200));

        CHECK(entry_by_id(snap, "x-zero").filesize == 0);
        CHECK(entry_by_id(snap, "f-empty").kind == EntryKind::folder);
    }
    // An empty folder (item_count 0) is an entry but is never listed; the others once per scan.
    CHECK(remote.times_listed("f-empty") == 0);
    CHECK(remote.times_listed("root") == 2);
    CHECK(remote.times_listed("f-a") == 2);
    CHECK(remote.times_listed("f-b") == 2);
    CHECK_FALSE(remote.asked_for_deleted);
}

TEST_CASE("remote scanner lists folders of unknown size - and empty ones when asked",
          "[scan][remote]") {
    FakeRemote remote;
    remote.folders["root"] = {folder("f-unknown", "U"), folder("f-zero", "Z", 0)};
    remote.folders["f-unknown"] = {file("x1", "inside", 1)};
    remote.folders["f-zero"] = {file("x2", "stale-count", 2)}; // item_count lied

    RemoteScanOptions options;
    options.skip_empty_folders = false;
    const RemoteSnapshot snap = scan_ok(remote, options);
    CHECK(paths_of(snap) == std::vector<std::string>{"U", "U/inside", "Z", "Z/stale-count"});
    CHECK(remote.times_listed("f-zero") == 1);
}

TEST_CASE("remote scanner refuses hostile names and never lists a refused folder",
          "[scan][remote]") {
    FakeRemote remote;
    const std::string long_name(256, 'n');
    remote.folders["root"] = {
        file("h-dotdot", "..", 1),
        file("h-dot", ".", 1),
        file("h-slash", "a/b", 1),
        file("h-empty", "", 1),
        file("h-nul", std::string("x\0y", 3), 1),
        file("h-long", long_name, 1),
        file("h-ctl", "bell\x07", 1),
        file("h-bidi", "evil\xE2\x80\xAEvom.exe", 1),
        file("h-space", " lead", 1),
        file("h-temp", ".fios-part", 1),
        file("h-utf8", "bad\xC3", 1),
        folder("h-folder", ".."),
        folder("f-ok", "ok"),
        stack("h-stack", "x/y", "v1", 5, std::nullopt),
    };
    // The refused folder has children that must never be listed or reported.
    remote.folders["h-folder"] = {file("under-evil", "passwd", 9)};
    remote.folders["f-ok"] = {file("h-nested", "..", 4), file("x-fine", "fine.txt", 4)};

    const RemoteSnapshot snap = scan_ok(remote);
    CHECK(paths_of(snap) == std::vector<std::string>{"ok", "ok/fine.txt"});
    CHECK(remote.times_listed("h-folder") == 0);

    std::map<std::string, NameIssue> issues;
    for (const auto& r : snap.rejected)
        issues[r.asset_id] = r.issue;
    const std::map<std::string, NameIssue> expected{
        {"h-dotdot", NameIssue::dot_dot},        {"h-dot", NameIssue::dot},
        {"h-slash", NameIssue::contains_slash},  {"h-empty", NameIssue::empty},
        {"h-nul", NameIssue::contains_nul},      {"h-long", NameIssue::name_too_long},
        {"h-ctl", NameIssue::control_character}, {"h-bidi", NameIssue::bidi_control},
        {"h-space", NameIssue::edge_space},      {"h-temp", NameIssue::reserved_prefix},
        {"h-utf8", NameIssue::invalid_utf8},     {"h-folder", NameIssue::dot_dot},
        {"h-stack", NameIssue::contains_slash},  {"h-nested", NameIssue::dot_dot},
    };
    CHECK(issues == expected);
    CHECK(snap.rejected.size() == expected.size());

    for (const auto& r : snap.rejected) {
        CAPTURE(r.asset_id);
        if (r.asset_id == "h-nested") {
            CHECK(r.parent == P("ok"));
        } else {
            CHECK(r.parent.is_root());
        }
        if (r.asset_id == "h-folder")
            CHECK(r.kind == EntryKind::folder);
        else
            CHECK(r.kind == EntryKind::file); // a stack is a file
    }
    // The raw name is kept byte for byte for the warning.
    const auto nul = std::find_if(snap.rejected.begin(), snap.rejected.end(),
                                  [](const auto& r) { return r.asset_id == "h-nul"; });
    REQUIRE(nul != snap.rejected.end());
    CHECK(nul->name == std::string("x\0y", 3));
}

TEST_CASE("remote scanner refuses paths too long for the local folder", "[scan][remote]") {
    FakeRemote remote;
    const std::string name200(200, 'd');
    remote.folders["root"] = {folder("f1", name200)};
    remote.folders["f1"] = {folder("f2", name200)};
    remote.folders["f2"] = {file("x-far", name200, 1), file("x-near", "n", 1)};

    RemoteScanOptions options;
    options.limits.root_bytes = 4096 - 2 * 201 - 150; // room for "/d.../d.../n", not 200 more
    const RemoteSnapshot snap = scan_ok(remote, options);
    REQUIRE(snap.rejected.size() == 1);
    CHECK(snap.rejected[0].asset_id == "x-far");
    CHECK(snap.rejected[0].issue == NameIssue::path_too_long);
    CHECK(entry_by_id(snap, "x-near").path.depth() == 3);
}

TEST_CASE("remote scanner turns a version stack into one file with its head's content",
          "[scan][remote]") {
    FakeRemote remote;
    remote.folders["root"] = {stack("s1", "cut.mov", "v3", 42, "0123456789abcdef"),
                              file("x-other", "other.mov", 1)};
    // The stack's versions, should anyone list it: they are never files of the folder.
    remote.folders["s1"] = {file("v1", "cut.mov", 40), file("v2", "cut.mov", 41),
                            file("v3", "cut.mov", 42, true, "0123456789abcdef")};
    // A stack without a head has no content: left out.
    remote.folders["root"].push_back(stack("s-empty", "nothing.mov", "", 0, std::nullopt));

    const RemoteSnapshot snap = scan_ok(remote);
    CHECK(remote.times_listed("s1") == 0);
    CHECK(paths_of(snap) == std::vector<std::string>{"cut.mov", "other.mov"});
    const RemoteEntry& cut = entry_by_id(snap, "v3");
    CHECK(cut.kind == EntryKind::file);
    CHECK(cut.path == P("cut.mov"));
    CHECK(cut.filesize == 42);
    CHECK(cut.checksum == std::optional<std::string>("0123456789abcdef"));
    CHECK(cut.parent_id == "root");
    REQUIRE(cut.version_stack);
    CHECK(cut.version_stack->stack_id == "s1");
    CHECK(cut.version_stack->head_asset_id == "v3");
    CHECK(cut.asset_id == cut.version_stack->head_asset_id);
    CHECK_FALSE(entry_by_id(snap, "x-other").version_stack);
}

TEST_CASE("remote scanner keeps duplicates - lists every duplicate folder - skips deleted",
          "[scan][remote]") {
    FakeRemote remote;
    Item gone = file("x-deleted", "gone.txt", 3);
    gone.deleted = true;
    Item gone_folder = folder("f-deleted", "GoneFolder");
    gone_folder.deleted = true;
    remote.folders["root"] = {file("x-dup2", "same.txt", 2),
                              file("x-dup1", "same.txt", 1),
                              folder("f-d1", "D"),
                              folder("f-d2", "D"),
                              gone,
                              gone_folder};
    remote.folders["f-d1"] = {file("x-in1", "inner.txt", 1)};
    remote.folders["f-d2"] = {file("x-in2", "inner.txt", 2)};
    remote.folders["f-deleted"] = {file("x-under-deleted", "u", 1)};

    const RemoteSnapshot snap = scan_ok(remote);
    CHECK(paths_of(snap) ==
          std::vector<std::string>{"D", "D", "D/inner.txt", "D/inner.txt", "same.txt", "same.txt"});
    // Equal paths are ordered by asset id, so the snapshot is the same every time.
    CHECK(snap.entries[0].asset_id == "f-d1");
    CHECK(snap.entries[1].asset_id == "f-d2");
    CHECK(entry_by_id(snap, "x-in1").parent_id == "f-d1");
    CHECK(entry_by_id(snap, "x-in2").parent_id == "f-d2");
    CHECK(snap.entries[4].asset_id == "x-dup1");
    CHECK(snap.entries[5].asset_id == "x-dup2");
    CHECK(remote.times_listed("f-deleted") == 0);
    CHECK(snap.rejected.empty());
}

TEST_CASE("remote scanner fails on a listing error - with the folder named", "[scan][remote]") {
    FakeRemote remote;
    remote.folders["root"] = {folder("f-a", "A"), folder("f-b", "B")};
    remote.folders["f-a"] = {folder("f-c", "C")};
    remote.folders["f-b"] = {};
    remote.folders["f-c"] = {};

    SECTION("a server error anywhere fails the scan") {
        remote.failures["f-c"] = Error{ErrorCode::server, "HTTP 503", 503};
        auto r = RemoteScanner(remote).scan("root");
        REQUIRE_FALSE(r);
        CHECK(r.error().code == ErrorCode::server);
        CHECK(r.error().message.find("A/C") != std::string::npos);
    }
    SECTION("the root gone fails the scan") {
        remote.failures["root"] = Error{ErrorCode::not_found, "HTTP 404", 404};
        auto r = RemoteScanner(remote).scan("root");
        REQUIRE_FALSE(r);
        CHECK(r.error().code == ErrorCode::not_found);
    }
    SECTION("unauthorized is passed on as it is (run-wide)") {
        remote.failures["f-b"] = Error{ErrorCode::unauthorized, "HTTP 401", 401};
        auto r = RemoteScanner(remote).scan("root");
        REQUIRE_FALSE(r);
        CHECK(r.error().code == ErrorCode::unauthorized);
    }
    SECTION("a folder deleted since its parent was listed is left out with its subtree") {
        remote.folders.erase("f-a"); // listing it now gives not_found
        const RemoteSnapshot snap = scan_ok(remote);
        CHECK(paths_of(snap) == std::vector<std::string>{"B"});
    }
    SECTION("an empty root id is a bug") {
        auto r = RemoteScanner(remote).scan("");
        REQUIRE_FALSE(r);
        CHECK(r.error().code == ErrorCode::internal);
    }
}

TEST_CASE("remote scanner stops when cancelled", "[scan][remote]") {
    FakeRemote remote;
    remote.folders["root"] = {folder("f-a", "A")};
    remote.folders["f-a"] = {};
    fios::CancelToken cancel;
    cancel.cancel();
    RemoteScanOptions options;
    options.cancel = &cancel;
    auto r = RemoteScanner(remote, options).scan("root");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::cancelled);
    CHECK(remote.calls.empty());
}

TEST_CASE("remote scanner reports a folder that lists itself or an ancestor - no phantom folders",
          "[scan][remote]") {
    // Issue 9: the cycle's folders used to become entries ("L/again", "L/up"), which the
    // engine created locally as empty phantom folders.
    FakeRemote remote;
    remote.folders["root"] = {folder("f-loop", "L"), file("x-top", "top.mov", 10, true)};
    remote.folders["f-loop"] = {folder("f-loop", "again"), folder("root", "up"),
                                file("x-in", "in.mov", 5, true)};
    const RemoteSnapshot snap = scan_ok(remote);
    CHECK(remote.times_listed("f-loop") == 1);
    CHECK(remote.times_listed("root") == 1);
    CHECK(paths_of(snap) == std::vector<std::string>{"L", "L/in.mov", "top.mov"});
    REQUIRE(snap.rejected.size() == 2);
    for (const auto& r : snap.rejected) {
        CHECK(r.parent.str() == "L");
        CHECK(r.issue == fios::model::NameIssue::folder_cycle);
    }
    CHECK(snap.rejected[0].name == "again");
    CHECK(snap.rejected[1].name == "up");
}

TEST_CASE("remote scanner lists sibling folders concurrently - within its thread bound",
          "[scan][remote]") {
    FakeRemote remote;
    remote.folders["root"] = {folder("f1", "one"), folder("f2", "two"), folder("f3", "three"),
                              folder("f4", "four")};
    for (const char* id : {"f1", "f2", "f3", "f4"})
        remote.folders[id] = {file(std::string(id) + "-x", "x", 1)};

    SECTION("two threads: two listings meet in flight, never three") {
        remote.gated = {"f1", "f2", "f3", "f4"};
        remote.rendezvous = 2; // a listing waits until another one is in flight
        RemoteScanOptions options;
        options.threads = 2;
        const RemoteSnapshot snap = scan_ok(remote, options);
        CHECK(snap.entries.size() == 8);
        CHECK(remote.max_in_flight == 2);
    }
    SECTION("one thread: strictly one listing at a time") {
        RemoteScanOptions options;
        options.threads = 1;
        const RemoteSnapshot snap = scan_ok(remote, options);
        CHECK(snap.entries.size() == 8);
        CHECK(remote.max_in_flight == 1);
    }
}

TEST_CASE("partial scan: the starts - and below them only the folders asked for",
          "[scan][remote][partial]") {
    FakeRemote remote;
    remote.folders["root"] = {folder("f-a", "A"), file("x-top", "top.mov", 1)};
    remote.folders["f-a"] = {folder("f-b", "B"), folder("f-c", "C"), file("x-a", "a.wav", 2)};
    remote.folders["f-b"] = {folder("f-d", "D"), file("x-b", "b.txt", 3)};
    remote.folders["f-d"] = {file("x-d", "d.txt", 4)};
    remote.folders["f-c"] = {file("x-c", "c.txt", 5)};

    std::vector<std::string> asked;
    auto part = RemoteScanner(remote, {})
                    .scan_folders("root", {{"root", P("")}, {"f-a", P("A")}, {"f-a", P("A")}},
                                  [&](const fios::model::RelPath& path, const std::string& id) {
                                      asked.push_back(path.str() + "=" + id);
                                      return path.str() !=
                                             "A/C"; // C is "agreed": its inside is not looked at
                                  });
    REQUIRE(part);
    // A is a start met inside the root: an entry, not a cycle, listed once.
    CHECK(part->snapshot.rejected.empty());
    CHECK(remote.times_listed("f-a") == 1);
    CHECK(remote.times_listed("f-c") == 0);
    CHECK(remote.times_listed("f-d") == 1); // below B, which was asked for
    CHECK(part->listed == std::set<fios::model::RelPath>{P(""), P("A"), P("A/B"), P("A/B/D")});
    CHECK(paths_of(part->snapshot) == std::vector<std::string>{"A", "A/B", "A/B/D", "A/B/D/d.txt",
                                                               "A/B/b.txt", "A/C", "A/a.wav",
                                                               "top.mov"});
    CHECK(part->snapshot.root_folder_id == "root");
    CHECK(entry_by_id(part->snapshot, "x-d").parent_id == "f-d");
    std::sort(asked.begin(), asked.end());
    CHECK(asked == std::vector<std::string>{"A/B/D=f-d", "A/B=f-b", "A/C=f-c"});

    // A start that is gone fails the scan (the caller looks at everything instead).
    auto gone = RemoteScanner(remote, {})
                    .scan_folders("root", {{"f-gone", P("Gone")}},
                                  [](const auto&, const auto&) { return true; });
    REQUIRE_FALSE(gone);
    CHECK(gone.error().code == ErrorCode::not_found);
}

TEST_CASE("partial scan with listing tags: an unchanged folder is neither absorbed nor expanded",
          "[scan][remote][partial]") {
    FakeRemote remote;
    remote.folders["root"] = {folder("f-a", "A"), file("x-top", "top.mov", 1)};
    remote.folders["f-a"] = {folder("f-b", "B"), file("x-a", "a.wav", 2)};
    remote.folders["f-b"] = {file("x-b", "b.txt", 3)};
    remote.untagged = {"f-b"};

    RemoteScanner scanner(remote, {});
    REQUIRE(scanner.scan("root"));
    // A whole scan asks with no tag and keeps the tags it was given.
    CHECK(remote.asked_since.at("root").empty());
    const fios::scan::ListingTags tags = scanner.tags();
    CHECK(tags == fios::scan::ListingTags{{P(""), {"root", "root@0"}}, {P("A"), {"f-a", "f-a@0"}}});

    ++remote.revision["f-a"];
    remote.folders["f-a"].push_back(file("x-new", "new.wav", 4));
    std::vector<std::string> expanded;
    auto part = scanner.scan_folders(
        "root", {{"root", P("")}, {"f-a", P("A")}, {"f-b", P("A/B")}},
        [&](const fios::model::RelPath& path, const std::string&) {
            expanded.push_back(path.str());
            return true;
        },
        &tags);
    REQUIRE(part);
    CHECK(remote.asked_since.at("root") == "root@0");
    CHECK(remote.asked_since.at("f-a") == "f-a@0");
    CHECK(remote.asked_since.at("f-b").empty());
    // The root came back unchanged: listed, nothing of it absorbed (A and top.mov are not
    // entries), nothing below it expanded from it.
    CHECK(part->listed == std::set<fios::model::RelPath>{P(""), P("A"), P("A/B")});
    CHECK(part->unchanged == std::set<fios::model::RelPath>{P("")});
    CHECK(paths_of(part->snapshot) ==
          std::vector<std::string>{"A/B", "A/B/b.txt", "A/a.wav", "A/new.wav"});
    CHECK(part->tags ==
          fios::scan::ListingTags{{P(""), {"root", "root@0"}}, {P("A"), {"f-a", "f-a@1"}}});

    // A tag is only used for the folder id it was given with (a folder replaced at its path).
    const fios::scan::ListingTags other{{P("A"), {"f-other", "f-a@1"}}};
    auto replaced = scanner.scan_folders(
        "root", {{"f-a", P("A")}}, [](const auto&, const auto&) { return false; }, &other);
    REQUIRE(replaced);
    CHECK(remote.asked_since.at("f-a").empty());
    CHECK(replaced->unchanged.empty());
}

TEST_CASE("listing tags are kept only for listings whose view came from them alone",
          "[scan][remote][partial]") {
    FakeRemote remote;
    remote.folders["root"] = {folder("f-a", "A"), folder("f-b", "B")};
    remote.folders["f-a"] = {folder("f-x", "X")};
    remote.folders["f-b"] = {file("x-b", "b.txt", 1)};
    remote.folders["f-x"] = {file("x-x", "x.txt", 2)};
    const auto all = [](const auto&, const auto&) { return true; };

    SECTION("a folder refused as met before: no tag for the listing that held it") {
        // X moved from A into B; the check still has X as a start at its old path.
        remote.folders["f-a"] = {};
        remote.folders["f-b"].push_back(folder("f-x", "X"));
        ++remote.revision["f-a"];
        ++remote.revision["f-b"];
        auto part =
            RemoteScanner(remote, {})
                .scan_folders("root", {{"f-a", P("A")}, {"f-x", P("A/X")}, {"f-b", P("B")}}, all);
        REQUIRE(part);
        REQUIRE(part->snapshot.rejected.size() == 1);
        CHECK(part->snapshot.rejected[0].issue == fios::model::NameIssue::folder_cycle);
        CHECK(part->tags.count(P("B")) == 0);
        CHECK(part->tags.count(P("A")) == 1);
    }
    SECTION("a folder gone when listed: no tag for its parent's listing") {
        remote.folders["f-a"].push_back(folder("f-gone", "N")); // listed in A, 404 itself
        auto whole = RemoteScanner(remote, {});
        REQUIRE(whole.scan("root"));
        CHECK(whole.tags().count(P("A")) == 0);
        CHECK(whole.tags().count(P("B")) == 1);
    }
    SECTION("two folders at one path, one unchanged: ambiguous, no tag there") {
        // B (f-b, tagged) was renamed on Frame.io and a new B (f-b2) made in its place.
        const fios::scan::ListingTags known{{P("B"), {"f-b", "f-b@0"}}};
        remote.folders["root"] = {folder("f-a", "A"), folder("f-b", "Old"), folder("f-b2", "B")};
        remote.folders["f-b2"] = {file("x-new", "new.mov", 3)};
        ++remote.revision["root"];
        auto part = RemoteScanner(remote, {RemoteScanOptions{1}})
                        .scan_folders("root", {{"root", P("")}, {"f-b", P("B")}}, all, &known);
        REQUIRE(part);
        CHECK(part->unchanged.count(P("B")) == 1);
        CHECK(part->ambiguous);
        CHECK(part->tags.count(P("B")) == 0);
    }
}

TEST_CASE("a partial scan that gives way leaves the starts it has not begun unlisted - what "
          "it began is listed through",
          "[scan][remote][partial]") {
    FakeRemote remote;
    remote.folders["root"] = {folder("f-a", "A"), folder("f-b", "B"), folder("f-c", "C")};
    remote.folders["f-a"] = {folder("f-a1", "A1"), file("x-a", "a.txt", 1)};
    remote.folders["f-a1"] = {file("x-a1", "deep.txt", 2)};
    remote.folders["f-b"] = {file("x-b", "b.txt", 3)};
    remote.folders["f-c"] = {file("x-c", "c.txt", 4)};
    const auto all = [](const fios::model::RelPath&, const std::string&) { return true; };
    const std::vector<fios::scan::ScanStart> starts{
        {"f-a", P("A")}, {"f-b", P("B")}, {"f-c", P("C")}};

    int asked = 0;
    RemoteScanOptions options{1}; // one thread: the order of the starts is the order given
    options.give_way = [&] {      // local work is due all along
        ++asked;
        return true;
    };
    auto part = RemoteScanner(remote, options).scan_folders("root", starts, all);
    REQUIRE(part);
    CHECK(part->gave_way);
    CHECK(asked == 1); // not before A (the first start is always listed), before B, then never
    // A was begun: listed, and its new subfolder too (not a start: never left half-done).
    CHECK(part->listed == std::set<fios::model::RelPath>{P("A"), P("A/A1")});
    CHECK(paths_of(part->snapshot) == std::vector<std::string>{"A/A1", "A/A1/deep.txt", "A/a.txt"});
    CHECK(remote.calls == std::vector<std::string>{"f-a", "f-a1"});

    SECTION("a scan that is never told to give way lists every start") {
        options.give_way = [] { return false; };
        auto full = RemoteScanner(remote, options).scan_folders("root", starts, all);
        REQUIRE(full);
        CHECK_FALSE(full->gave_way);
        CHECK(full->listed.size() == 4);
    }
    SECTION("a whole scan never asks") {
        options.give_way = [&] {
            FAIL("a whole scan asked to give way");
            return true;
        };
        auto whole = RemoteScanner(remote, options).scan("root");
        REQUIRE(whole);
        CHECK(whole->entries.size() == 8);
    }
}
