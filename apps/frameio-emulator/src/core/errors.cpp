// SPDX-License-Identifier: MIT
#include "core/errors.hpp"

#include "core/json.hpp"

namespace fioemu {

std::string_view reason_phrase(int status) {
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 206:
        return "Partial Content";
    case 302:
        return "Found";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 402:
        return "Payment Required";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 411:
        return "Length Required";
    case 413:
        return "Payload Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 416:
        return "Range Not Satisfiable";
    case 422:
        return "Unprocessable Entity";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return status >= 500 ? "Server Error" : status >= 400 ? "Client Error" : "Status";
    }
}

std::string http_error_body(int status, std::string_view detail) {
    const std::string_view title = reason_phrase(status);
    Json j;
    j.begin_object();
    j.key("code").i64(status);
    j.key("message").str(title);
    j.key("errors").begin_array().begin_object();
    j.key("code").i64(status);
    j.key("status").i64(status);
    j.key("title").str(title);
    j.key("detail").str(detail);
    j.end_object().end_array();
    j.end_object();
    return j.take();
}

std::string markup_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::string s3_error_body(std::string_view code, std::string_view message) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + markup_escape(code) +
           "</Code><Message>" + markup_escape(message) + "</Message></Error>\n";
}

void send_api_error(httplib::Response& res, int status, std::string_view detail) {
    res.status = status;
    res.set_content(http_error_body(status, detail), k_json_type);
}

void send_s3_error(httplib::Response& res, int status, std::string_view code,
                   std::string_view message) {
    res.status = status;
    res.set_content(s3_error_body(code, message), "application/xml");
}

void send_gateway_error(httplib::Response& res, int status) {
    res.status = status;
    const std::string line = std::to_string(status) + " " + std::string(reason_phrase(status));
    res.set_content("<html>\r\n<head><title>" + line + "</title></head>\r\n<body>\r\n<center><h1>" +
                        line + "</h1></center>\r\n</body>\r\n</html>\r\n",
                    "text/html");
}

std::string v4_error_body(int status, std::string_view detail, std::string_view pointer) {
    Json j;
    j.begin_object().key("errors").begin_array().begin_object();
    j.key("detail").str(detail);
    j.key("title").str(reason_phrase(status));
    if (!pointer.empty())
        j.key("source").begin_object().key("pointer").str(pointer).end_object();
    j.end_object().end_array().end_object();
    return j.take();
}

void send_v4_error(httplib::Response& res, int status, std::string_view detail,
                   std::string_view pointer) {
    res.status = status;
    res.set_content(v4_error_body(status, detail, pointer), k_json_type);
}

std::string error_body_for_path(std::string_view path, int status, std::string_view detail) {
    if (path.rfind("/v4/", 0) == 0)
        return v4_error_body(status, detail);
    if (path.rfind("/ims/", 0) == 0) {
        Json j;
        j.begin_object();
        j.key("error").str(status >= 500 ? "server_error" : "invalid_request");
        j.key("error_description").str(detail);
        j.end_object();
        return j.take();
    }
    return http_error_body(status, detail);
}

} // namespace fioemu
