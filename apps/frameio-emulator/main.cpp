// SPDX-License-Identifier: MIT
// frameio-emulator: a local, faithful Frame.io V2 API server (docs/emulator.md).
#include "core/emulator.hpp"
#include "core/options.hpp"

#include <pthread.h>

#include <csignal>
#include <iostream>

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    // SIGINT/SIGTERM are taken synchronously by run_emulator (sigtimedwait); block them before
    // any thread starts so that every thread inherits the mask.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);

    fioemu::Options options;
    if (auto code = fioemu::parse_command_line(argc, argv, options, std::cout, std::cerr)) {
        return *code;
    }
    try {
        return fioemu::run_emulator(options);
    } catch (const std::exception& e) {
        std::cerr << "frameio-emulator: fatal: " << e.what() << "\n";
        return 1;
    }
}
