#include "owners.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup_paths.h"

struct owners {
	char root[PATH_MAX];
	struct cgroup_paths *paths;
	struct k8s_owner *k8s;	/* NULL: no Kubernetes names */
};

struct owners *owners_new(const struct owners_config *cfg, char err[OWNERS_ERR_LEN])
{
	struct owners *o = calloc(1, sizeof(*o));
	struct stat st;
	int r;

	if (!o) {
		snprintf(err, OWNERS_ERR_LEN, "cgroup labels: out of memory");
		return NULL;
	}
	if (cfg->cgroup_root) {
		int e = stat(cfg->cgroup_root, &st) ? errno :
			!S_ISDIR(st.st_mode) ? ENOTDIR : 0;

		if (e) {
			snprintf(err, OWNERS_ERR_LEN, "cgroup2 mount %s: %s",
				 cfg->cgroup_root, strerror(e));
			goto fail;
		}
		snprintf(o->root, sizeof(o->root), "%s", cfg->cgroup_root);
	} else if ((r = cgroup2_find_mount("/proc/self/mountinfo", o->root,
					   sizeof(o->root)))) {
		snprintf(err, OWNERS_ERR_LEN, "cgroup labels need cgroup v2: %s",
			 r == -ENOENT ? "no cgroup2 mount in /proc/self/mountinfo" :
			 strerror(-r));
		goto fail;
	}
	o->paths = cgroup_paths_new(o->root, cfg->refresh_ms, 0);
	if (!o->paths) {
		snprintf(err, OWNERS_ERR_LEN, "cgroup labels: %s", strerror(errno));
		goto fail;
	}
	if (cfg->host_root) {
		o->k8s = k8s_owner_new(cfg->host_root, cfg->refresh_ms);
		if (!o->k8s) {
			snprintf(err, OWNERS_ERR_LEN, "pod labels: %s", strerror(errno));
			goto fail;
		}
	}
	return o;
fail:
	owners_free(o);
	return NULL;
}

void owners_free(struct owners *o)
{
	if (!o)
		return;
	cgroup_paths_free(o->paths);
	k8s_owner_free(o->k8s);
	free(o);
}

void owners_lookup(struct owners *o, uint64_t cgroup_id, struct owner_labels *out)
{
	struct k8s_names n;

	out->namespace[0] = out->pod[0] = out->container[0] = '\0';
	if (cgroup_paths_lookup(o->paths, cgroup_id, out->cgroup, sizeof(out->cgroup)) !=
	    CGROUP_FOUND || !o->k8s)
		return;
	k8s_owner_lookup_path(o->k8s, out->cgroup, &n);
	memcpy(out->namespace, n.namespace, sizeof(n.namespace));
	memcpy(out->pod, n.pod, sizeof(n.pod));
	memcpy(out->container, n.container, sizeof(n.container));
}

const char *owners_cgroup_root(const struct owners *o)
{
	return o->root;
}
