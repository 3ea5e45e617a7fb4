// SPDX-License-Identifier: MIT
#include <CLI/CLI.hpp>
#include <fmt/core.h>

int main(int argc, char** argv) {
    CLI::App app{"frameio-sync: keep local folders and Frame.io projects in sync"};
    app.set_version_flag("--version", std::string("frameio-sync ") + FIOS_VERSION);
    CLI11_PARSE(app, argc, argv);
    return 0;
}
