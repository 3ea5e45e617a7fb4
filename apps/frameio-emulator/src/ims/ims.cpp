// SPDX-License-Identifier: MIT
#include "ims/ims.hpp"

#include "core/api.hpp"
#include "core/http_server.hpp"
#include "core/model.hpp"
#include "core/options.hpp"

namespace fioemu {

ImsAuthority::ImsAuthority(Model& model, const Options& options)
    : m_model(model), m_options(options) {}

void ImsAuthority::load() {}

std::variant<ImsIdentity, std::string> ImsAuthority::authenticate(const std::string&, Micros) {
    return std::string("unknown access token");
}

void register_ims_routes(HttpServer&, Services&) {}

} // namespace fioemu
