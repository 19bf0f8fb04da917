// SPDX-License-Identifier: BSD-2-Clause
#include "http_text.h"

#include <string.h>

struct MHD_Response *http_text_response(const char *type, const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
								 MHD_RESPMEM_MUST_COPY);

	if (r)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	return r;
}
