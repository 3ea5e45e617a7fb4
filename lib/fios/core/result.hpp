// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/error.hpp"

#include <cstdlib>
#include <type_traits>
#include <utility>
#include <variant>

namespace fios {

/// Either a T or an Error: the library's way of returning expected failures
/// (std::expected is C++23; Debian 12's GCC 12 / Clang 14 cannot use it).
/// Implicitly constructible from both T and Error, so `return value;` and
/// `return Error{...};` both work, and `if (!r) return r.error();` forwards a failure
/// across value types. Accessing the wrong alternative aborts: it is a bug, not a failure.
template <class T>
class [[nodiscard]] Result {
public:
    using value_type = T;

    Result(const T& value) : m_v(std::in_place_index<0>, value) {}
    Result(T&& value) : m_v(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : m_v(std::in_place_index<1>, std::move(error)) {}
    template <class U>
    requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, T> &&
             !std::is_same_v<std::decay_t<U>, Error> && !std::is_same_v<std::decay_t<U>, Result>)
        Result(U&& value)
        : m_v(std::in_place_index<0>, T(std::forward<U>(value))) {}

    [[nodiscard]] bool has_value() const { return m_v.index() == 0; }
    explicit operator bool() const { return has_value(); }

    T& value() & { return check_value(), std::get<0>(m_v); }
    const T& value() const& { return check_value(), std::get<0>(m_v); }
    T&& value() && { return check_value(), std::get<0>(std::move(m_v)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const Error& error() const& { return check_error(), std::get<1>(m_v); }
    Error&& error() && { return check_error(), std::get<1>(std::move(m_v)); }

    template <class U>
    T value_or(U&& fallback) const& {
        return has_value() ? std::get<0>(m_v) : static_cast<T>(std::forward<U>(fallback));
    }

private:
    void check_value() const {
        if (!has_value())
            std::abort();
    }
    void check_error() const {
        if (has_value())
            std::abort();
    }
    std::variant<T, Error> m_v;
};

/// Result<void>: success carries nothing. `return {};` is success.
template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : m_error(std::move(error)), m_failed(true) {}

    [[nodiscard]] bool has_value() const { return !m_failed; }
    explicit operator bool() const { return has_value(); }
    void value() const {
        if (m_failed)
            std::abort();
    }
    const Error& error() const& {
        if (!m_failed)
            std::abort();
        return m_error;
    }
    Error&& error() && {
        if (!m_failed)
            std::abort();
        return std::move(m_error);
    }

private:
    Error m_error;
    bool m_failed = false;
};

using Status = Result<void>;

} // namespace fios
