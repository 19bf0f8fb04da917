// SPDX-License-Identifier: BSD-2-Clause
#include "privs.h"

#include <errno.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "log.h"

int privs_drop(int keep_net_admin)
{
	cap_value_t keep = CAP_NET_ADMIN;
	cap_t caps;
	int rc = 0;

	/* The bounding set first: dropping from it needs CAP_SETPCAP, which
	 * goes with the rest below. Without CAP_SETPCAP (not root) there is
	 * nothing to gain from an exec anyway: no_new_privs covers it. */
	if (CAP_IS_SUPPORTED(CAP_SETPCAP)) {
		for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++)
			if (!(keep_net_admin && c == keep) && CAP_IS_SUPPORTED(c) &&
			    cap_get_bound(c) == 1 && cap_drop_bound(c) && errno != EPERM) {
				pr_err("dropping capability %s from the bounding set failed: %s\n",
				       cap_to_name(c), strerror(errno));
				rc = -1;
			}
	}
	caps = cap_init();	/* all clear */
	if (!caps)
		return -1;
	if (keep_net_admin) {
		cap_t have = cap_get_proc();
		cap_flag_value_t on = CAP_CLEAR;

		if (have)
			cap_get_flag(have, keep, CAP_PERMITTED, &on);
		cap_free(have);
		if (on == CAP_SET &&
		    (cap_set_flag(caps, CAP_PERMITTED, 1, &keep, CAP_SET) ||
		     cap_set_flag(caps, CAP_EFFECTIVE, 1, &keep, CAP_SET)))
			rc = -1;
	}
	if (cap_set_proc(caps)) {
		pr_err("dropping capabilities failed: %s\n", strerror(errno));
		rc = -1;
	}
	cap_free(caps);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		pr_err("setting no_new_privs failed: %s\n", strerror(errno));
		rc = -1;
	}
	if (!rc)
		pr_debug("capabilities dropped%s\n", keep_net_admin ? " but CAP_NET_ADMIN" : "");
	return rc;
}
