// SPDX-License-Identifier: MIT
#include "v4/render.hpp"

#include "core/model.hpp"

namespace fioemu {

void render_v4_profile(Json& j, const User& u) {
    j.begin_object().key("id").str(u.id).end_object();
}
void render_v4_user(Json& j, const User& u) {
    j.begin_object().key("id").str(u.id).end_object();
}
void render_v4_account(Json& j, V4RenderContext&, const Account& a) {
    j.begin_object().key("id").str(a.id).end_object();
}
void render_v4_workspace(Json& j, V4RenderContext&, const Team& t, bool) {
    j.begin_object().key("id").str(t.id).end_object();
}
void render_v4_project(Json& j, V4RenderContext&, const Project& p, bool) {
    j.begin_object().key("id").str(p.id).end_object();
}
void render_v4_asset(Json& j, V4RenderContext&, const Asset& a, const V4AssetRender&) {
    j.begin_object().key("id").str(a.id).end_object();
}

} // namespace fioemu
