// SPDX-License-Identifier: MIT
#include "fios/model/rel_path.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

using fios::model::RelPath;

TEST_CASE("RelPath::parse accepts normalised relative paths only", "[model]") {
    const auto accepted = GENERATE(as<std::string>{}, "a", "a/b", "a b/c d.mov", "Dailies/2024/x",
                                   "\xC3\xA9t\xC3\xA9", ".hidden", "...", "a/.b", "a..b");
    INFO(accepted);
    const auto p = RelPath::parse(accepted);
    REQUIRE(p);
    CHECK(p->str() == accepted);

    const auto refused =
        GENERATE(as<std::string>{}, "/", "/a", "a/", "a//b", ".", "..", "./a", "a/.", "a/..",
                 "../a", "a/../b", std::string("a\0b", 3), "\xFF", "a/\xC3", "\xC0\xAF");
    INFO(refused);
    CHECK_FALSE(RelPath::parse(refused));
}

TEST_CASE("RelPath: the empty path is the root", "[model]") {
    const auto root = RelPath::parse("");
    REQUIRE(root);
    CHECK(root->is_root());
    CHECK(*root == RelPath::root());
    CHECK(root->depth() == 0);
    CHECK(root->name().empty());
    CHECK(root->parent().is_root());
}

TEST_CASE("RelPath: name, parent, depth, segments, join", "[model]") {
    const auto p = *RelPath::parse("a/b c/d.mov");
    CHECK(p.name() == "d.mov");
    CHECK(p.parent().str() == "a/b c");
    CHECK(p.parent().parent().str() == "a");
    CHECK(p.parent().parent().parent().is_root());
    CHECK(p.depth() == 3);
    CHECK(p.segments() == std::vector<std::string_view>{"a", "b c", "d.mov"});
    CHECK(RelPath::root().join("x")->str() == "x");
    CHECK(p.parent().join("e")->str() == "a/b c/e");
    CHECK_FALSE(p.join(".."));
    CHECK_FALSE(p.join("."));
    CHECK_FALSE(p.join(""));
    CHECK_FALSE(p.join("x/y"));
    CHECK_FALSE(p.join(std::string("x\0", 2)));
}

TEST_CASE("RelPath: ancestry", "[model]") {
    const auto a = *RelPath::parse("a");
    const auto ab = *RelPath::parse("a/b");
    const auto abc = *RelPath::parse("a/b/c");
    const auto ax = *RelPath::parse("ab");
    CHECK(a.is_ancestor_of(ab));
    CHECK(a.is_ancestor_of(abc));
    CHECK_FALSE(a.is_ancestor_of(a));
    CHECK_FALSE(a.is_ancestor_of(ax));
    CHECK_FALSE(ab.is_ancestor_of(a));
    CHECK(RelPath::root().is_ancestor_of(a));
    CHECK_FALSE(RelPath::root().is_ancestor_of(RelPath::root()));
}

TEST_CASE("RelPath orders segment by segment: a parent sorts right before its subtree", "[model]") {
    std::vector<RelPath> paths;
    for (const char* s : {"a b", "a/c", "a", "a-b", "a/b/z", "a/b", "b", "a.b"}) {
        paths.push_back(*RelPath::parse(s));
    }
    std::sort(paths.begin(), paths.end());
    std::vector<std::string> got;
    for (const auto& p : paths)
        got.push_back(p.str());
    // Byte order would put "a b", "a-b" and "a.b" between "a" and "a/b".
    CHECK(got == std::vector<std::string>{"a", "a/b", "a/b/z", "a/c", "a b", "a-b", "a.b", "b"});
    CHECK(RelPath::root() < *RelPath::parse("a"));
}
