/* SPDX-License-Identifier: BSD-2-Clause */
/* A short text response: error messages and pages of the HTTP server and
 * of /events, built one way. */
#ifndef TCFLOW_HTTP_TEXT_H
#define TCFLOW_HTTP_TEXT_H

#include <microhttpd.h>

#define HTTP_TEXT_PLAIN "text/plain; charset=utf-8"

/* A copy of text with the Content-Type type, or NULL without memory. */
struct MHD_Response *http_text_response(const char *type, const char *text);

#endif
